/**
 * The chatroom server. Parses flags, starts {@linkcode serve}, stops on
 * Ctrl-C or SIGTERM.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { serve } from "./lib/server.ts";
import { Logger, streamSink } from "./lib/log.ts";
import { parseCount, runMain } from "./lib/cli.ts";

const USAGE = `Usage: server [options]

Runs the chatroom server.

Options:
  --port N            port to listen on (default 18000)
  --host ADDR         address to listen on (default 0.0.0.0, all IPv4 interfaces)
  --max-users N       most users in the chatroom at once (default 3)
  --max-attachment N  largest attachment in bytes; K, M, G suffixes allowed (default 100M)
  --downloads DIR     where received attachments are stored (default downloads)
  --trace             print every frame sent and received, with all its fields
  -h, --help          show this help`;

let listenAddress = "";

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string", default: "18000" },
      host: { type: "string", default: "0.0.0.0" },
      "max-users": { type: "string", default: "3" },
      "max-attachment": { type: "string", default: "100M" },
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
  const logger = new Logger(streamSink(Deno.stdout));
  listenAddress = `${values.host}:${values.port}`;
  const server = await serve({
    hostname: values.host,
    port: parseCount("--port", values.port, { max: 65535 }),
    maxUsers: parseCount("--max-users", values["max-users"], { min: 1 }),
    maxAttachment: parseCount("--max-attachment", values["max-attachment"]),
    downloadsDir: values.downloads,
    trace: values.trace,
    logger,
  });
  const stop = Promise.withResolvers<string>();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, () => stop.resolve(signal));
  const signal = await stop.promise;
  logger.info(`Received ${signal}; shutting down`);
  await server.close();
  return 0;
}

if (import.meta.main) {
  await runMain("server", USAGE, main, (error) => {
    if (error instanceof Deno.errors.AddrInUse) {
      return `cannot listen on ${listenAddress}: the port is already in use`;
    }
    if (error instanceof Deno.errors.NotCapable) {
      // The binaries and `deno task server` may only touch ./downloads (see scripts/targets.ts).
      return `not permitted: ${error.message}; the server may only store attachments in downloads/ in the folder it runs in`;
    }
  });
}
