/**
 * The chatroom client. Parses flags and runs the terminal client.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseCount, runMain } from "./lib/cli.ts";
import { LineConsole } from "./lib/client/line_console.ts";
import { TerminalApp } from "./lib/client/terminal_app.ts";

const USAGE = `Usage: client [options]

Runs the chatroom client in this terminal.

Options:
  --host NAME    server to connect to (default localhost)
  --port N       server port (default 18000)
  --downloads DIR  where received attachments are saved (default downloads)
  --trace        print every frame sent and received, with all its fields
  -h, --help     show this help`;

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: "string", default: "localhost" },
      port: { type: "string", default: "18000" },
      downloads: { type: "string", default: "downloads" },
      trace: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = parseCount("--port", values.port, { min: 1, max: 65535 });
  const interactive = Deno.stdin.isTerminal();
  const encoder = new TextEncoder();
  const write = (text: string) => {
    const bytes = encoder.encode(interactive ? text.replaceAll(/\r?\n/g, "\r\n") : text);
    let at = 0;
    while (at < bytes.length) at += Deno.stdout.writeSync(bytes.subarray(at));
  };
  const lineConsole = new LineConsole({
    input: Deno.stdin,
    write,
    interactive,
    onInterrupt: () => app.interrupt(),
  });
  const app: TerminalApp = new TerminalApp({
    console: lineConsole,
    hostname: values.host,
    port,
    downloadsDir: values.downloads,
    trace: values.trace,
  });
  const onSigint = () => app.interrupt();
  if (interactive) Deno.stdin.setRaw(true);
  else Deno.addSignalListener("SIGINT", onSigint);
  try {
    return await app.run();
  } finally {
    lineConsole.finish();
    if (interactive) Deno.stdin.setRaw(false);
    else Deno.removeSignalListener("SIGINT", onSigint);
  }
}

if (import.meta.main) await runMain("client", USAGE, main);
