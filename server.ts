/**
 * The chatroom server. Parses flags, starts {@linkcode serve}, stops on
 * Ctrl-C or SIGTERM.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { serve } from "./lib/server.ts";
import { Logger, streamSink } from "./lib/log.ts";
import { isUsageError, parseCount } from "./lib/cli.ts";

const USAGE = `Usage: server [options]

Runs the chatroom server.

Options:
  --port N            port to listen on (default 18000)
  --host ADDR         address to listen on (default 0.0.0.0, all IPv4 interfaces)
  --max-users N       most users in the chatroom at once (default 3)
  --max-attachment N  largest attachment in bytes; K, M, G suffixes allowed (default 100M)
  --downloads DIR     where received attachments are stored (default downloads)
  --history-limit N   most history entries sent to a joining user (default all)
  --trace             print every frame sent and received, with all its fields
  -h, --help          show this help`;

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string", default: "18000" },
      host: { type: "string", default: "0.0.0.0" },
      "max-users": { type: "string", default: "3" },
      "max-attachment": { type: "string", default: "100M" },
      downloads: { type: "string", default: "downloads" },
      "history-limit": { type: "string" },
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
  const server = await serve({
    hostname: values.host,
    port: parseCount("--port", values.port, { max: 65535 }),
    maxUsers: parseCount("--max-users", values["max-users"], { min: 1 }),
    maxAttachment: parseCount("--max-attachment", values["max-attachment"]),
    downloadsDir: values.downloads,
    historyLimit: values["history-limit"] === undefined
      ? undefined
      : parseCount("--history-limit", values["history-limit"]),
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
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    if (isUsageError(error)) {
      console.error(`server: ${error.message}\n\n${USAGE}`);
      Deno.exit(2);
    }
    if (error instanceof Deno.errors.AddrInUse) {
      console.error(`server: cannot listen: the port is already in use (${error.message})`);
      Deno.exit(1);
    }
    throw error;
  }
}
