/**
 * The sizes of every scenario: the (default) and scaled down for a
 * CI smoke run (`--quick`).
 *
 * @module
 */
import type { RelayConfig } from "./scenarios/relay.ts";
import type { FanoutConfig } from "./scenarios/fanout.ts";
import type { IdleConfig } from "./scenarios/idle.ts";
import type { JoinConfig } from "./scenarios/join.ts";

/** Everything a run needs to know about sizes. */
export interface BenchConfig {
  startupRuns: number;
  rawBytes: number;
  rawRuns: number;
  relay: RelayConfig;
  fanout: FanoutConfig;
  idle: IdleConfig;
  join: JoinConfig;
}

const MiB = 1024 * 1024;

/** The sizes of the issue: ~2 minutes on 2 cores. */
export const DEFAULT_CONFIG: BenchConfig = {
  startupRuns: 5,
  rawBytes: 256 * MiB,
  rawRuns: 7,
  relay: { bytes: 256 * MiB, runs: 3, bigBytes: 1024 * MiB },
  fanout: {
    clients: 100,
    processes: 2,
    messages: 100,
    rate: 10,
    saturateMessages: 200,
    window: 16,
    bytes: 64,
  },
  idle: { clients: 10_000, processes: 2, concurrency: 200, reclaimWaitMs: 45_000 },
  join: { messages: 100_000, messageBytes: 64, runs: 3 },
};

/** Scaled down so every scenario still runs, in well under 30 s; figures are not comparable. */
export const QUICK_CONFIG: BenchConfig = {
  startupRuns: 2,
  rawBytes: 32 * MiB,
  rawRuns: 1,
  relay: { bytes: 32 * MiB, runs: 1, bigBytes: 64 * MiB },
  fanout: {
    clients: 20,
    processes: 2,
    messages: 10,
    rate: 10,
    saturateMessages: 20,
    window: 16,
    bytes: 64,
  },
  idle: { clients: 500, processes: 1, concurrency: 50, reclaimWaitMs: 0 },
  join: { messages: 10_000, messageBytes: 64, runs: 1 },
};
