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

/** The fan-out baseline: a bare relay of the same frames (see the file). */
export const BARE_RELAY_TS = new URL("../workers/bare_relay.ts", import.meta.url).pathname;

/**
 * Runs the fan-out scenario against a fresh server process, or against
 * another program started the same way (`script`, e.g. {@linkcode BARE_RELAY_TS}).
 */
export async function measureFanout(config: FanoutConfig, script?: string): Promise<FanoutResult> {
  await using server = await ServerProcess.start({ maxUsers: config.clients, script });
  const workers: WorkerProcess[] = [];
  try {
    const share = Math.ceil(config.clients / config.processes);
    for (let first = 0; first < config.clients; first += share) {
      const worker = WorkerProcess.spawn("fanout_clients.ts");
      workers.push(worker);
      await worker.call("join", {
        port: server.port,
        first,
        count: Math.min(share, config.clients - first),
      });
    }
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
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}
