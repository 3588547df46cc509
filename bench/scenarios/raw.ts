/**
 * The baseline: how fast one Deno process can stream bytes to another over
 * plain TCP on loopback, with no chatroom code in between.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { CHUNK_SIZE } from "../../lib/shared/net/byte_conn.ts";
import { processesCpuMs } from "../support/machine.ts";
import { WorkerProcess } from "../support/worker_process.ts";
import { rawStreamSha256 } from "../support/raw_stream.ts";
import { warmPageCache } from "../support/warm_page_cache.ts";

/** Result of {@linkcode measureRaw}. */
export interface RawResult {
  /**
   * The best run's throughput, in MB/s (10^6 bytes per second): what the
   * machine can do. Single runs are short (~80 ms) and some come out at
   * half speed when something else holds a core for a moment.
   */
  raw_mb_s: number;
  /**
   * Best MB/s when the receiver hashes every byte as it reads it, as a
   * client checks an attachment: the most the relay scenario's own hash
   * check allows, with no server in between.
   */
  hashed_mb_s: number;
  /**
   * Best MB/s through a third Deno process that only copies bytes from one
   * socket to the other: the most any relay process can reach here.
   */
  forward_mb_s: number;
  /**
   * Best MB/s through a forwarder that hashes what it copies, to a receiver
   * that hashes too: the most a relay can reach that checks every file
   * before it keeps it and streams it on at the same time (no disk, no
   * protocol).
   */
  forward_hashed_mb_s: number;
  /**
   * Best MB/s through a forwarder that hashes what it copies and writes it
   * to a new file as it goes, to a receiver that hashes: what a relay that
   * checks and keeps every file can reach here with no protocol. Each run's
   * file takes page-cache pages just touched (a file of its size is written
   * and removed first: `warmPageCache`), so it compares with `relay_warm_mb_s`.
   */
  forward_stored_mb_s: number;
  /**
   * CPU time of the sender, the storing forwarder and the receiver per byte,
   * in ns (the least of the runs; it includes removing the file at the end).
   */
  forward_stored_cpu_ns_per_byte: number;
  /** CPU time of the sender and the hashing receiver per byte, in ns (the least of the runs). */
  hashed_cpu_ns_per_byte: number;
  /** Every run's throughput, in MB/s, per path. */
  raw_runs_mb_s: Record<string, number[]>;
}

/** One way from the sender to the receiver. */
interface Path {
  name: "raw" | "hashed" | "forward" | "forward_hashed" | "forward_stored";
  /** Through a forwarder process. */
  forward: boolean;
  /** The forwarder hashes what it copies. */
  forwardHash: boolean;
  /** The forwarder writes what it copies to a new file. */
  forwardStore?: boolean;
  /** The receiver hashes what it reads. */
  receiverHash: boolean;
}

// The storing path first in each round, so that the pages its file freed have the
// other paths' time to go back to the host (see warmPageCache) before the relay runs.
const PATHS: Path[] = [
  {
    name: "forward_stored",
    forward: true,
    forwardHash: true,
    forwardStore: true,
    receiverHash: true,
  },
  { name: "raw", forward: false, forwardHash: false, receiverHash: false },
  { name: "hashed", forward: false, forwardHash: false, receiverHash: true },
  { name: "forward", forward: true, forwardHash: false, receiverHash: false },
  { name: "forward_hashed", forward: true, forwardHash: true, receiverHash: true },
];

/**
 * Streams `bytes` from a sender process to a receiver process `runs` times
 * along each {@linkcode Path}, taking turns so a machine that drifts slows
 * every path alike.
 */
export async function measureRaw(bytes: number, runs: number): Promise<RawResult> {
  await using receiver = WorkerProcess.spawn("raw_peer.ts");
  await using forwarder = WorkerProcess.spawn("raw_peer.ts");
  await using sender = WorkerProcess.spawn("raw_peer.ts");
  const { port } = await receiver.call("listen");
  const { port: forwardPort } = await forwarder.call("listen");
  const expected = rawStreamSha256(bytes);
  const results: Record<string, number[]> = {};
  const hashedCpu: number[] = [];
  const storedCpu: number[] = [];
  // Where the storing forwarder writes: a temporary folder, as the relay's server has.
  const store = await Deno.makeTempDir({ prefix: "chatroom-bench-store-" });
  await using _removeStore = {
    [Symbol.asyncDispose]: () => Deno.remove(store, { recursive: true }),
  };
  for (let i = 0; i < runs; i++) {
    for (const path of PATHS) {
      // Its file takes pages just touched, as the warm relay's does (see warmPageCache).
      if (path.forwardStore) await warmPageCache(store, bytes);
      // The CPU figures: the hashed path's two processes, the storing path's three.
      const cpuPids = path.forwardStore
        ? [sender.pid, forwarder.pid, receiver.pid]
        : [sender.pid, receiver.pid];
      const cpuBefore = processesCpuMs(cpuPids);
      await receiver.send("receive", { bytes, hash: path.receiverHash });
      if (path.forward) {
        await forwarder.send("forward", {
          to: port,
          hash: path.forwardHash,
          store: path.forwardStore ? store : undefined,
        });
      }
      const { startMs } = await sender.call("send", {
        port: path.forward ? forwardPort : port,
        bytes,
      });
      const received = await receiver.next("done");
      if (path.forward) await forwarder.next("done");
      if (received.bytes !== bytes) {
        throw new Error(
          `Raw run ${i + 1} (${path.name}) received ${received.bytes} of ${bytes} bytes`,
        );
      }
      if (path.receiverHash && received.sha256 !== expected) {
        throw new Error(
          `Raw run ${
            i + 1
          } (${path.name}) received SHA-256 ${received.sha256}, expected ${expected}`,
        );
      }
      (results[path.name] ??= []).push(mbPerS(bytes, Number(received.endMs) - Number(startMs)));
      const cpuNsPerByte = () => ((processesCpuMs(cpuPids) - cpuBefore) * 1e6) / bytes;
      if (path.name === "hashed") hashedCpu.push(cpuNsPerByte());
      if (path.name === "forward_stored") storedCpu.push(cpuNsPerByte());
    }
  }
  return {
    raw_mb_s: Math.max(...results.raw),
    hashed_mb_s: Math.max(...results.hashed),
    forward_mb_s: Math.max(...results.forward),
    forward_hashed_mb_s: Math.max(...results.forward_hashed),
    forward_stored_mb_s: Math.max(...results.forward_stored),
    forward_stored_cpu_ns_per_byte: Math.min(...storedCpu),
    hashed_cpu_ns_per_byte: Math.min(...hashedCpu),
    raw_runs_mb_s: results,
  };
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
