/**
 * The chatroom client. Parses flags and runs the terminal client, or with
 * `--gui` the browser GUI.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseCount, runMain } from "./lib/shared/cli.ts";
import { PipedConsole } from "./lib/client/terminal/piped_console.ts";
import { TtyConsole } from "./lib/client/terminal/tty_console.ts";
import { TerminalApp } from "./lib/client/terminal/terminal_app.ts";
import { runGui } from "./lib/gui/run_gui.ts";
import { streamSink } from "./lib/shared/log.ts";
import { writeAllSync } from "./lib/shared/net/byte_conn.ts";
import { freeSpace } from "./lib/client/free_space.ts";
import { withoutTaskSeparator } from "./lib/shared/task_args.ts";
import { checkWritable } from "./lib/shared/check_writable.ts";

const USAGE = `Usage: client [options]

Runs the chatroom client in this terminal, or with --gui in your browser.

Options:
  --host NAME        server to connect to (default localhost)
  --port N           server port (default 18000)
  --downloads DIR    where received attachments are saved (default downloads)
  --max-download N   largest attachment saved, in bytes; K, M, G suffixes allowed (default 1G);
                     bigger ones are skipped, and so is one that would leave the disk with
                     less than 64 MiB free
  --gui              run the graphical client: a page served on 127.0.0.1
  --gui-port N       port for the GUI's page (default: any free port)
  --no-open          with --gui, print the page's address but open no browser
  --attachments DIR  with --gui, the folder the file box searches (default attachments)
  --trace            print every frame sent and received, with all its fields
  -h, --help         show this help`;

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args: withoutTaskSeparator(args),
    options: {
      host: { type: "string", default: "localhost" },
      port: { type: "string", default: "18000" },
      downloads: { type: "string", default: "downloads" },
      "max-download": { type: "string", default: "1G" },
      gui: { type: "boolean", default: false },
      "gui-port": { type: "string", default: "0" },
      "no-open": { type: "boolean", default: false },
      attachments: { type: "string", default: "attachments" },
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
  const guiPort = parseCount("--gui-port", values["gui-port"], { max: 65535 });
  const maxDownload = parseCount("--max-download", values["max-download"]);
  const unwritable = checkWritable(values.downloads, { flag: "--downloads" });
  if (unwritable) {
    console.error(`client: ${unwritable}`);
    return 1;
  }
  if (values.gui) {
    const stop = Promise.withResolvers<void>();
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    const onSignal = () => stop.resolve();
    for (const signal of signals) Deno.addSignalListener(signal, onSignal);
    try {
      return await runGui({
        hostname: values.host,
        port,
        downloadsDir: values.downloads,
        maxDownload,
        attachmentsDir: values.attachments,
        guiPort,
        open: !values["no-open"],
        trace: values.trace,
        print: streamSink(Deno.stdout),
        stop: stop.promise,
      });
    } finally {
      for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    }
  }
  const interactive = Deno.stdin.isTerminal();
  const encoder = new TextEncoder();
  const write = (text: string) => {
    const bytes = encoder.encode(text);
    writeAllSync(Deno.stdout, bytes);
  };
  const onInterrupt = () => app.interrupt();
  const tty = interactive
    ? new TtyConsole({ input: Deno.stdin, write, columns: terminalColumns, onInterrupt })
    : null;
  const lineConsole = tty ?? new PipedConsole({ input: Deno.stdin, write });
  const app: TerminalApp = new TerminalApp({
    console: lineConsole,
    hostname: values.host,
    port,
    downloadsDir: values.downloads,
    maxDownload,
    freeSpace,
    trace: values.trace,
  });
  const onResize = () => tty?.resize();
  if (interactive) {
    Deno.stdin.setRaw(true);
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGWINCH", onResize);
  } else Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    return await app.run();
  } finally {
    lineConsole.finish();
    if (interactive) {
      Deno.stdin.setRaw(false);
      if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGWINCH", onResize);
    } else Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}

/** The terminal's width, or 80 if stdout is not a terminal. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch (_) {
    return 80; // stdout redirected while stdin is a terminal
  }
}

if (import.meta.main) {
  await runMain("client", USAGE, main, (error) => {
    if (error instanceof Deno.errors.AddrInUse) {
      return `cannot serve the GUI: the port is already in use (${error.message})`;
    }
  });
}
