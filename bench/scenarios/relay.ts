/**
 * Attachments through the server: one client uploads, one or three others
 * receive them as they arrive (JOIN_OPTION.STREAM) and hash every byte; and
 * the server's memory while it relays a big file.
 * Every client is its own process.
 *
 * @module
 */
import { ServerProcess } from "../support/server_process.ts";
import { WorkerProcess } from "../support/worker_process.ts";
import { median } from "../support/stats.ts";
import { processesCpuMs } from "../support/machine.ts";
import { warmPageCache } from "../support/warm_page_cache.ts";
import { mbPerS } from "./raw.ts";

/** Sizes for {@linkcode measureRelay}. */
export interface RelayConfig {
  /** Size of the timed attachment, in bytes. */
  bytes: number;
  /** Timed uploads per receiver count; the median counts. */
  runs: number;
  /** Size of the attachment whose relay is watched for memory growth, in bytes. */
  bigBytes: number;
}

/** Result of {@linkcode measureRelay}. */
export interface RelayResult {
  /** Median MB/s from the start of the upload until the one receiver has every byte. */
  relay_mb_s: number;
  /** Median MB/s until the last of three receivers has every byte. */
  relay3_mb_s: number;
  /** Server RSS growth while relaying the big attachment, in MiB. */
  relay_rss_growth_mib: number;
  /** Median ms of the one-receiver relay from the upload's start to the first payload byte there. */
  relay_first_byte_ms: number;
  /**
   * Median ms of the one-receiver relay from the uploader's last byte (handed to
   * the kernel) to the receiver's END: what storing, checking and recording adds.
   */
  relay_end_after_upload_ms: number;
  /**
   * Receivers, over every relay of the scenario, that fell behind (their queue
   * at the server passed 1 MiB) and got the rest from the stored file.
   */
  relay_behind_receivers: number;
  /**
   * CPU time of every process of the one-receiver relay (server, uploader,
   * receiver) per byte relayed, in ns: what the work costs, wherever it runs.
   */
  relay_cpu_ns_per_byte: number;
  /** The same for three receivers (server, uploader, three receivers). */
  relay3_cpu_ns_per_byte: number;
  /**
   * The one-receiver relay's cores in use: CPU time of its processes over
   * wall time. At the machine's core count, the relay is bound by CPU.
   */
  relay_cores_busy: number;
  /** The same for three receivers. */
  relay3_cores_busy: number;
  /**
   * Median MB/s of the same one-receiver upload right after a file of its
   * size was written and removed in the server's folder, so the server's
   * file takes page-cache pages just touched ({@linkcode warmPageCache}):
   * the relay as on a machine whose fresh pages cost nothing extra.
   */
  relay_warm_mb_s: number;
  /** The same for three receivers. */
  relay3_warm_mb_s: number;
  /** CPU time per byte of the warm one-receiver relay, as {@linkcode RelayResult.relay_cpu_ns_per_byte}. */
  relay_warm_cpu_ns_per_byte: number;
  /** The same for three receivers. */
  relay3_warm_cpu_ns_per_byte: number;
}

const RSS_SAMPLE_MS = 5;

/** Runs the relay scenarios against a fresh server process. */
export async function measureRelay(config: RelayConfig): Promise<RelayResult> {
  await using server = await ServerProcess.start({
    maxUsers: 8,
    maxAttachment: Math.max(config.bytes, config.bigBytes),
    // Receivers joining later would otherwise get the earlier uploads replayed.
    args: ["--history-limit=0"],
  });
  await using uploader = WorkerProcess.spawn("relay_client.ts");
  await using r1 = WorkerProcess.spawn("relay_client.ts");
  await using r2 = WorkerProcess.spawn("relay_client.ts");
  await using r3 = WorkerProcess.spawn("relay_client.ts");
  await uploader.call("join", { port: server.port, name: "uploader", hash: false });
  await r1.call("join", { port: server.port, name: "receiver1" });

  const { sha256 } = await uploader.call("prepare", { bytes: config.bytes });
  // The timed uploads as the machine gives pages, then as many after a warm-up each.
  const relay = async (receivers: WorkerProcess[], warm: boolean) => {
    if (warm) await warmPageCache(server.dir, config.bytes);
    return await relayOnce(server.pid, uploader, receivers, config.bytes, String(sha256));
  };
  const one: Relayed[] = [];
  for (let i = 0; i < config.runs; i++) one.push(await relay([r1], false));
  const oneWarm: Relayed[] = [];
  for (let i = 0; i < config.runs; i++) oneWarm.push(await relay([r1], true));
  await r2.call("join", { port: server.port, name: "receiver2" });
  await r3.call("join", { port: server.port, name: "receiver3" });
  const three: Relayed[] = [];
  for (let i = 0; i < config.runs; i++) three.push(await relay([r1, r2, r3], false));
  const threeWarm: Relayed[] = [];
  for (let i = 0; i < config.runs; i++) threeWarm.push(await relay([r1, r2, r3], true));

  const big = await uploader.call("prepare", { bytes: config.bigBytes });
  const before = server.rssKib();
  server.resetPeak();
  let sampled = before;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, server.rssKib());
  }, RSS_SAMPLE_MS);
  try {
    await relayOnce(server.pid, uploader, [r1, r2, r3], config.bigBytes, String(big.sha256));
  } finally {
    clearInterval(sampler);
  }
  const peak = Math.max(sampled, server.peakRssKib());
  const log = await Deno.readTextFile(`${server.dir}/server.log`);
  const behind = log.match(/is behind on transfer \d+/g)?.length ?? 0;
  return {
    relay_mb_s: median(one.map((r) => r.mbS)),
    relay3_mb_s: median(three.map((r) => r.mbS)),
    relay_rss_growth_mib: (peak - before) / 1024,
    relay_first_byte_ms: median(one.map((r) => r.firstByteMs)),
    relay_end_after_upload_ms: median(one.map((r) => r.endAfterUploadMs)),
    relay_behind_receivers: behind,
    relay_cpu_ns_per_byte: median(one.map((r) => r.cpuNsPerByte)),
    relay3_cpu_ns_per_byte: median(three.map((r) => r.cpuNsPerByte)),
    relay_cores_busy: median(one.map((r) => r.coresBusy)),
    relay3_cores_busy: median(three.map((r) => r.coresBusy)),
    relay_warm_mb_s: median(oneWarm.map((r) => r.mbS)),
    relay3_warm_mb_s: median(threeWarm.map((r) => r.mbS)),
    relay_warm_cpu_ns_per_byte: median(oneWarm.map((r) => r.cpuNsPerByte)),
    relay3_warm_cpu_ns_per_byte: median(threeWarm.map((r) => r.cpuNsPerByte)),
  };
}

/** One timed upload. */
interface Relayed {
  /** MB/s from the start of the upload until the last receiver has every byte. */
  mbS: number;
  /** From the start of the upload until the first payload byte reached a receiver. */
  firstByteMs: number;
  /** From the uploader's last byte until the last receiver's END. */
  endAfterUploadMs: number;
  /** CPU time of the server, uploader and receivers per byte, in ns. */
  cpuNsPerByte: number;
  /** That CPU time over the wall time of the relay. */
  coresBusy: number;
}

/** Uploads once and checks every receiver got the whole file, hash-checked. */
async function relayOnce(
  serverPid: number,
  uploader: WorkerProcess,
  receivers: WorkerProcess[],
  bytes: number,
  sha256: string,
): Promise<Relayed> {
  for (const receiver of receivers) await receiver.send("expect");
  const pids = [serverPid, uploader.pid, ...receivers.map((r) => r.pid)];
  const cpuBefore = processesCpuMs(pids);
  const wallBefore = performance.now();
  const [{ startMs, sentMs }, ...arrivals] = await Promise.all([
    uploader.call("upload", {}, 300_000),
    ...receivers.map((r) => r.next("done", 300_000)),
  ]);
  // The uploader gets an ECHO header for its own file; wait for it too, so
  // the server is done with this upload before the next one starts.
  await uploader.call("expect", {}, 300_000);
  const cpuMs = processesCpuMs(pids) - cpuBefore;
  const wallMs = performance.now() - wallBefore;
  for (const arrival of arrivals) {
    if (arrival.bytes !== bytes || arrival.sha256 !== sha256) {
      throw new Error(
        `A receiver got ${arrival.bytes} bytes with SHA-256 ${arrival.sha256}; expected ${bytes} bytes with ${sha256}`,
      );
    }
  }
  const start = Number(startMs);
  const firstByteMs = Math.min(...arrivals.map((a) => Number(a.firstByteMs)));
  const endMs = Math.max(...arrivals.map((a) => Number(a.endMs)));
  return {
    mbS: mbPerS(bytes, endMs - start),
    firstByteMs: firstByteMs - start,
    endAfterUploadMs: endMs - Number(sentMs),
    cpuNsPerByte: (cpuMs * 1e6) / bytes,
    coresBusy: cpuMs / wallMs,
  };
}
