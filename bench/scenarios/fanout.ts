/**
 * Chat fan-out: many joined clients each send lines at a steady rate
 * (latency at every receiver), then as fast as they can (deliveries per
 * second). The clients are split over a few worker processes.
 *
 * @module
 */
import { ServerProcess } from "../support/server_process.ts";
import { WorkerProcess } from "../support/worker_process.ts";
import { LatencyHistogram } from "../support/stats.ts";
import { wallMs } from "../support/worker_io.ts";

/** Sizes for {@linkcode measureFanout}. */
export interface FanoutConfig {
  /** Joined clients; every one sends and receives. */
  clients: number;
  /** Worker processes the clients are split over. */
  processes: number;
  /** Lines each client sends in the steady phase. */
  messages: number;
  /** Lines per second each client sends in the steady phase. */
  rate: number;
  /** Lines each client sends in the saturation phase. */
  saturateMessages: number;
  /** Unanswered lines each client may have in the saturation phase. */
  window: number;
  /** Bytes of each line. */
  bytes: number;
}

/** Result of {@linkcode measureFanout}. */
export interface FanoutResult {
  /** Median send-to-receive latency in the steady phase, in ms. */
  fanout_p50_ms: number;
  /** 99th percentile send-to-receive latency in the steady phase, in ms. */
  fanout_p99_ms: number;
  /** Worst send-to-receive latency in the steady phase, in ms. */
  fanout_max_ms: number;
  /** Deliveries (one line reaching one client) per second in the saturation phase. */
  fanout_deliveries_s: number;
  /** Deliveries that never arrived, both phases together (should be 0). */
  fanout_lost: number;
}

/** What {@linkcode measureFanout} returns besides the figures. */
export interface FanoutMeasurement extends FanoutResult {
  /**
   * Server RSS growth per joined client, in KiB, over the joins of the
   * clients after the first process's (which warm a fresh server up: code
   * compiled, caches filled), before the first line.
   */
  rssPerClientKib: number;
}

/** The fan-out baseline: a bare relay of the same frames (see the file). */
export const BARE_RELAY_TS = new URL("../workers/bare_relay.ts", import.meta.url).pathname;

/** A server already running, for {@linkcode FanoutOptions.server}. */
export interface FanoutServer {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Its resident memory now, in KiB. */
  rssKib(): number;
}

/** Options for {@linkcode measureFanout}. */
export interface FanoutOptions {
  /**
   * Another program to start in `server.ts`'s place, the same way (e.g.
   * {@linkcode BARE_RELAY_TS}). @default server.ts
   */
  script?: string;
  /** A server started by the caller (e.g. a peer IRC server) instead of one started here. */
  server?: FanoutServer;
  /**
   * The load generator in `bench/workers/` (e.g. `irc_fanout_clients.ts`
   * for an IRC server). @default "fanout_clients.ts"
   */
  worker?: string;
}

/**
 * Runs the fan-out scenario against a fresh server process, another
 * program started the same way, or a server the caller started.
 */
export async function measureFanout(
  config: FanoutConfig,
  options: FanoutOptions = {},
): Promise<FanoutMeasurement> {
  await using started = options.server
    ? undefined
    : await ServerProcess.start({ maxUsers: config.clients, script: options.script });
  const server: FanoutServer = options.server ?? started!;
  const workers: WorkerProcess[] = [];
  try {
    let rssBefore = server.rssKib();
    let measured = config.clients;
    const share = Math.ceil(config.clients / config.processes);
    for (let first = 0; first < config.clients; first += share) {
      const worker = WorkerProcess.spawn(options.worker ?? "fanout_clients.ts");
      workers.push(worker);
      await worker.call("join", {
        port: server.port,
        first,
        count: Math.min(share, config.clients - first),
      });
      if (first === 0 && share < config.clients) {
        rssBefore = server.rssKib();
        measured = config.clients - share;
      }
    }
    const rssPerClientKib = (server.rssKib() - rssBefore) / measured;
    const common = { total: config.clients, bytes: config.bytes };
    const steadyMs = (config.messages / config.rate) * 1000;
    const steadyStartMs = wallMs() + 300;
    const steady = await Promise.all(workers.map((w) =>
      w.call("steady", {
        ...common,
        startMs: steadyStartMs,
        rate: config.rate,
        messages: config.messages,
      }, steadyMs + 60_000)
    ));
    const latency = new LatencyHistogram();
    let lost = 0;
    for (const result of steady) {
      latency.merge(result.latency as Parameters<LatencyHistogram["merge"]>[0]);
      lost += Number(result.expected) - Number(result.received);
    }
    const startMs = wallMs() + 200;
    const saturate = await Promise.all(workers.map((w) =>
      w.call("saturate", {
        ...common,
        startMs,
        messages: config.saturateMessages,
        window: config.window,
      }, 120_000)
    ));
    let delivered = 0;
    let endMs = startMs;
    for (const result of saturate) {
      delivered += Number(result.received);
      lost += Number(result.expected) - Number(result.received);
      endMs = Math.max(endMs, Number(result.endMs));
    }
    return {
      fanout_p50_ms: latency.percentile(50),
      fanout_p99_ms: latency.percentile(99),
      fanout_max_ms: latency.max,
      fanout_deliveries_s: delivered / ((endMs - startMs) / 1000),
      fanout_lost: lost,
      rssPerClientKib,
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}
