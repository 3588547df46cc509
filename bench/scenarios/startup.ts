/**
 * Start-up: from spawning `server.ts` until its log says it is listening.
 *
 * @module
 */
import { ServerProcess } from "../support/server_process.ts";
import { median } from "../support/stats.ts";

/** Result of {@linkcode measureStartup}. */
export interface StartupResult {
  /** Median milliseconds from process spawn to the "listening" line. */
  startup_ms: number;
}

/** Starts and stops the server `runs` times. */
export async function measureStartup(runs: number): Promise<StartupResult> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const server = await ServerProcess.start();
    times.push(server.startupMs);
    await server.stop();
  }
  return { startup_ms: median(times) };
}
