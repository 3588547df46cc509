/**
 * Joining a room with a long history: how long until a new user has all of it.
 *
 * @module
 */
import { ServerProcess } from "../support/server_process.ts";
import { WorkerProcess } from "../support/worker_process.ts";
import { median } from "../support/stats.ts";
import { processCpuMs } from "../support/machine.ts";

/** Sizes for {@linkcode measureJoin}. */
export interface JoinConfig {
  /** Chat lines in the history before the timed joins. */
  messages: number;
  /** Bytes of each chat line. */
  messageBytes: number;
  /** Timed joins; the median counts. */
  runs: number;
}

/** Result of {@linkcode measureJoin}. */
export interface JoinResult {
  /** Median milliseconds from the join request to the last history entry received. */
  join_100k_ms: number;
  /**
   * The first timed join alone: the server has not read this history's
   * pages since it started (it keeps each whole block's sums after a join).
   */
  join_100k_first_ms: number;
  /** Milliseconds it took to post the history over TCP (not a target; for context). */
  history_fill_ms: number;
  /** Median CPU milliseconds the server spent on one timed join (reading and sending the history). */
  join_server_cpu_ms: number;
  /** Median CPU milliseconds the joining client's process spent on one timed join. */
  join_client_cpu_ms: number;
}

/** Fills a fresh server's history over TCP, then times joins. */
export async function measureJoin(config: JoinConfig): Promise<JoinResult> {
  await using server = await ServerProcess.start();
  await using client = WorkerProcess.spawn("history_client.ts");
  const fill = await client.call("fill", {
    port: server.port,
    count: config.messages,
    bytes: config.messageBytes,
    window: 256,
  }, 300_000);
  const times: number[] = [];
  const serverCpu: number[] = [];
  const clientCpu: number[] = [];
  for (let i = 0; i < config.runs; i++) {
    const cpu0 = [processCpuMs(server.pid), processCpuMs(client.pid)];
    const joined = await client.call("join", { port: server.port, name: "joiner" }, 120_000);
    serverCpu.push(processCpuMs(server.pid) - cpu0[0]);
    clientCpu.push(processCpuMs(client.pid) - cpu0[1]);
    if (Number(joined.historyCount) < config.messages) {
      throw new Error(
        `The joiner got ${joined.historyCount} history entries, expected ${config.messages} or more`,
      );
    }
    times.push(Number(joined.ms));
  }
  return {
    join_100k_ms: median(times),
    join_100k_first_ms: times[0],
    history_fill_ms: Number(fill.ms),
    join_server_cpu_ms: median(serverCpu),
    join_client_cpu_ms: median(clientCpu),
  };
}
