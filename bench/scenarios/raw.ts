/**
 * The baseline: how fast one Deno process can stream bytes to another over
 * plain TCP on loopback, with no chatroom code in between.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { CHUNK_SIZE } from "../../lib/transport.ts";
import { WorkerProcess } from "../support/worker_process.ts";

/** Result of {@linkcode measureRaw}. */
export interface RawResult {
  /**
   * The best run's throughput, in MB/s (10^6 bytes per second): what the
   * machine can do. Single runs are short (~80 ms) and some come out at
   * half speed when something else holds a core for a moment.
   */
  raw_mb_s: number;
  /** Every run's throughput, in MB/s. */
  raw_runs_mb_s: number[];
}

/** Streams `bytes` from a sender process to a receiver process `runs` times. */
export async function measureRaw(bytes: number, runs: number): Promise<RawResult> {
  await using receiver = WorkerProcess.spawn("raw_peer.ts");
  await using sender = WorkerProcess.spawn("raw_peer.ts");
  const { port } = await receiver.call("listen");
  const results: number[] = [];
  for (let i = 0; i < runs; i++) {
    await receiver.send("receive", { bytes });
    const { startMs } = await sender.call("send", { port, bytes });
    const received = await receiver.next("done");
    if (received.bytes !== bytes) {
      throw new Error(`Raw run ${i + 1} received ${received.bytes} of ${bytes} bytes`);
    }
    results.push(mbPerS(bytes, Number(received.endMs) - Number(startMs)));
  }
  return { raw_mb_s: Math.max(...results), raw_runs_mb_s: results };
}

/**
 * The other baseline of the relay: SHA-256 over `bytes` in 256 KiB chunks,
 * as the server and the client hash an attachment; the best of `runs`, in
 * MB/s. Every relayed byte is hashed twice, one after the other: by the
 * server before it forwards the file, and by the receiver.
 */
export async function measureSha256(bytes: number, runs: number): Promise<number> {
  const chunk = new Uint8Array(CHUNK_SIZE);
  crypto.getRandomValues(chunk.subarray(0, 65536));
  const results: number[] = [];
  for (let i = 0; i < runs; i++) {
    const hash = createHash("sha256");
    const started = performance.now();
    for (let at = 0; at < bytes; at += chunk.length) {
      hash.update(chunk.subarray(0, Math.min(chunk.length, bytes - at)));
    }
    hash.digest();
    results.push(mbPerS(bytes, performance.now() - started));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return Math.max(...results);
}

/** Throughput in MB/s (10^6 bytes per second). */
export function mbPerS(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}
