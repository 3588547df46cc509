/**
 * The chatroom server. Parses flags, opens the history, starts
 * {@linkcode serve}, stops on Ctrl-C or SIGTERM.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { withoutTaskSeparator } from "./lib/shared/task_args.ts";
import { serve, type ServeOptions } from "./lib/server/serve.ts";
import { Logger } from "./lib/shared/log.ts";
import { DEFAULT_LOG_QUEUE_BYTES, LogQueue } from "./lib/shared/log_queue.ts";
import { parseCount, parseDuration, runMain } from "./lib/shared/cli.ts";
import { HistoryError } from "./lib/server/history/history.ts";
import { HISTORY_FILE, SqliteHistory } from "./lib/server/history/sqlite_history.ts";
import { DEFAULT_RATE_LIMIT } from "./lib/server/limits/rate_limit.ts";
import { DEFAULT_CONNECTION_LIMITS } from "./lib/server/limits/conn_limits.ts";
import { errorText } from "./lib/shared/error_text.ts";
import { dateTime } from "./lib/shared/format.ts";
import { sleep } from "./lib/shared/abortable.ts";

const USAGE = `Usage: server [options]

Runs the chatroom server.

Options:
  --port N              port to listen on (default 18000)
  --host ADDR           address to listen on (default 0.0.0.0, all IPv4 interfaces)
  --max-users N         most users in the chatroom at once (default 3)
  --max-attachment N    largest attachment in bytes; K, M, G suffixes allowed (default 100M)
  --data-dir DIR        where the history (${HISTORY_FILE}) and downloads/ live (default .)
  --downloads DIR       where received attachments are stored (default DIR/downloads)
  --history-limit N     most history entries sent to a joining user (default all)
  --fresh               start with an empty history; the old one is kept, under a dated
                        name, in history-archive/
  --fsync               wait for the disk on every message, so even a power loss loses
                        nothing (default: survive the server being killed, kill -9 too)
  --stall-timeout T     drop a peer stuck mid-frame this long, e.g. 30s, 500ms (default 30s);
                        users idle at the menu or in the room are never dropped
  --join-timeout T      close a connection that has not joined and sent no request for this
                        long, e.g. 2m, 90s (default 2m); joined users are never timed
  --min-payload-rate N  slowest a frame may arrive, bytes a second averaged over
                        --payload-rate-window; K, M suffixes; 0 for none (default 1K)
  --payload-rate-window T  the window of --min-payload-rate (default 10s)
  --max-connections N   most connections at once; past it, "server busy" (default ${DEFAULT_CONNECTION_LIMITS.maxConnections})
  --max-per-address N   most connections from one address (default ${DEFAULT_CONNECTION_LIMITS.maxPerAddress})
  --limit-loopback      apply --max-per-address and the per-address burst to 127.0.0.1 and
                        ::1 too (exempt by default)
  --rate-limit N        frames read per second per connection; faster senders are
                        read more slowly, never cut off (default ${DEFAULT_RATE_LIMIT.perSecond})
  --rate-burst N        frames a connection may send at once; a new connection shares its
                        address's, so reconnecting buys no fresh one (default ${DEFAULT_RATE_LIMIT.burst})
  --no-rate-limit       read every connection as fast as it sends (for benchmarks)
  --max-queue N         bytes the server may hold for one connection (frames, files and
                        history waiting to be sent); past it the client is dropped as too
                        far behind; K, M suffixes (default 8M)
  --log-queue N         bytes of log lines that may wait for a slow stdout; past it lines are
                        dropped and counted ("N log lines dropped"); K, M suffixes (default 1M)
  --trace               print every frame sent and received, with all its fields
  -h, --help            show this help

The deno task and the built programs may only use ${HISTORY_FILE} and downloads/ in the folder
they run in; for another --data-dir, run from source with --allow-read and --allow-write on it.`;

/** Where `--fresh` keeps the histories it set aside, inside the data folder. */
const ARCHIVE_DIR = "history-archive";

let listenAddress = "";

function options(args: string[]) {
  return parseArgs({
    args: withoutTaskSeparator(args),
    options: {
      port: { type: "string", default: "18000" },
      host: { type: "string", default: "0.0.0.0" },
      "max-users": { type: "string", default: "3" },
      "max-attachment": { type: "string", default: "100M" },
      "data-dir": { type: "string", default: "." },
      downloads: { type: "string" },
      "history-limit": { type: "string" },
      fsync: { type: "boolean", default: false },
      "stall-timeout": { type: "string", default: "30s" },
      "join-timeout": { type: "string", default: "2m" },
      "min-payload-rate": { type: "string", default: "1K" },
      "payload-rate-window": { type: "string", default: "10s" },
      "max-connections": {
        type: "string",
        default: String(DEFAULT_CONNECTION_LIMITS.maxConnections),
      },
      "max-per-address": {
        type: "string",
        default: String(DEFAULT_CONNECTION_LIMITS.maxPerAddress),
      },
      "limit-loopback": { type: "boolean", default: false },
      "rate-limit": { type: "string", default: String(DEFAULT_RATE_LIMIT.perSecond) },
      "rate-burst": { type: "string", default: String(DEFAULT_RATE_LIMIT.burst) },
      "no-rate-limit": { type: "boolean", default: false },
      trace: { type: "boolean", default: false },
      "log-queue": { type: "string", default: String(DEFAULT_LOG_QUEUE_BYTES) },
      fresh: { type: "boolean", default: false },
      "max-queue": { type: "string", default: "8M" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

/** The server's options from the flags (everything but the history). */
function serveOptions(values: ReturnType<typeof options>): ServeOptions {
  const historyLimit = values["history-limit"];
  return {
    hostname: values.host,
    port: parseCount("--port", values.port, { max: 65535 }),
    maxUsers: parseCount("--max-users", values["max-users"], { min: 1 }),
    maxAttachment: parseCount("--max-attachment", values["max-attachment"]),
    downloadsDir: values.downloads ?? join(values["data-dir"], "downloads"),
    historyLimit: historyLimit === undefined
      ? undefined
      : parseCount("--history-limit", historyLimit),
    stallTimeoutMs: parseDuration("--stall-timeout", values["stall-timeout"]),
    joinTimeoutMs: parseDuration("--join-timeout", values["join-timeout"]),
    minPayloadRate: parseCount("--min-payload-rate", values["min-payload-rate"]),
    payloadRateWindowMs: parseDuration("--payload-rate-window", values["payload-rate-window"]),
    maxConnections: parseCount("--max-connections", values["max-connections"], { min: 1 }),
    maxConnectionsPerAddress: parseCount("--max-per-address", values["max-per-address"], {
      min: 1,
    }),
    limitLoopback: values["limit-loopback"],
    maxQueueBytes: parseCount("--max-queue", values["max-queue"], { min: 64 * 1024 }),
    rateLimit: values["no-rate-limit"] ? false : {
      perSecond: parseCount("--rate-limit", values["rate-limit"], { min: 1 }),
      burst: parseCount("--rate-burst", values["rate-burst"], { min: 1 }),
    },
    trace: values.trace,
  };
}

async function main(args: string[]): Promise<number> {
  const values = options(args);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const settings = serveOptions(values);
  // Never written synchronously: a stdout nobody reads must not stop the server.
  const logQueue = new LogQueue(Deno.stdout, {
    maxBytes: parseCount("--log-queue", values["log-queue"], { min: 1024 }),
  });
  const logger = new Logger(logQueue.sink);
  // Whatever happens below, the lines logged so far go out: they wait up to 10 ms to share a
  // write, and a start that fails exits (runMain) right after logging, e.g., that the old
  // history was archived. A stdout nobody reads must not hold the exit: a second at most.
  try {
    listenAddress = `${values.host}:${values.port}`;
    // Listen first: a busy port must not cost the history a file or a rename.
    const listener = Deno.listen({ hostname: settings.hostname!, port: settings.port! });
    const dataDir = values["data-dir"];
    if (dataDir !== ".") await Deno.mkdir(dataDir, { recursive: true });
    const historyPath = join(dataDir, HISTORY_FILE);
    const archived = values.fresh
      ? await archiveHistory(historyPath, join(dataDir, ARCHIVE_DIR))
      : null;
    using history = SqliteHistory.open(historyPath, {
      sync: values.fsync ? "full" : "normal",
      // One commit per turn of the event loop under load, not one per line.
      groupCommits: true,
    });
    logger.info(historyLine(history, archived));
    // Listen for signals before announcing the port, so a stop right after it is clean too.
    const stop = Promise.withResolvers<string>();
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    for (const signal of signals) Deno.addSignalListener(signal, () => stop.resolve(signal));
    const server = await serve({ ...settings, history, logger, listener });
    const signal = await stop.promise;
    logger.info(`Received ${signal}; shutting down`);
    await server.close();
    history.close();
    logger.info(`History closed: ${history.path}`);
    return 0;
  } finally {
    await sleep(1000, logQueue.flush());
  }
}

if (import.meta.main) {
  await runMain("server", USAGE, main, startupProblem);
}

/**
 * One line for what stopped the server from starting: a history it must not
 * touch, a busy port, a permission, a folder it cannot write. Anything else
 * is a bug: `undefined` lets {@linkcode runMain} rethrow it, trace and all.
 */
function startupProblem(error: unknown): string | undefined {
  // Exit 1 and touch nothing: a supervisor restarting us gets the same line again, no damage.
  if (error instanceof HistoryError) return error.message;
  if (error instanceof Deno.errors.AddrInUse) {
    const port = Number(listenAddress.split(":").pop());
    return `cannot listen on ${listenAddress}: the port is already in use (is another server running?); try --port ${
      port > 0 && port < 65535 ? port + 1 : 18001
    }`;
  }
  if (error instanceof Deno.errors.NotCapable) {
    // The binaries and `deno task server` may only touch ./chatroom.db and ./downloads (see scripts/targets.ts).
    return `not permitted: ${error.message}; the server may only store attachments in downloads/ in the folder it runs in, and its history in ${HISTORY_FILE} there`;
  }
  if (Object.values(Deno.errors).some((kind) => error instanceof kind)) {
    // An unwritable folder, a file where a folder should be, …
    return `cannot start: ${errorText(error)}`;
  }
}

/**
 * Sets the history at `path` aside for `--fresh`: opened and closed once
 * (SQLite folds in a write-ahead log a crash left behind), then moved into
 * `archiveDir` under a dated name. Returns that name, or null if there was
 * no history.
 */
async function archiveHistory(path: string, archiveDir: string): Promise<string | null> {
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  SqliteHistory.open(path).close();
  await Deno.mkdir(archiveDir, { recursive: true });
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(":", "-");
  const target = join(archiveDir, `chatroom-${stamp}.db`);
  await Deno.rename(path, target);
  return target;
}

/** The start-up line about the history: how many entries from when, or what --fresh kept. */
function historyLine(history: SqliteHistory, archived: string | null): string {
  if (archived) {
    return `History: ${history.path} starts empty (--fresh); the old one is ${archived}`;
  }
  const count = history.count();
  if (count === 0) return `History: ${history.path}, empty`;
  const last = history.list(1)[0];
  return `History: ${history.path}, ${count} ${count === 1 ? "entry" : "entries"}, the last from ${
    dateTime(last.timestamp)
  }; start with --fresh for an empty one (the old one is kept)`;
}
