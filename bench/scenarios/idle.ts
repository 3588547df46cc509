/**
 * Memory per idle client: by how much does the server's resident memory
 * grow when thousands of joined clients sit idle?
 *
 * @module
 */
import { ServerProcess } from "../support/server_process.ts";
import { WorkerProcess } from "../support/worker_process.ts";

/** Sizes for {@linkcode measureIdle}. */
export interface IdleConfig {
  /** Joined idle clients. */
  clients: number;
  /** Worker processes the clients are split over. */
  processes: number;
  /** Joins in flight at once, per process. */
  concurrency: number;
  /**
   * Longest wait, in ms, for V8 to give back the garbage of the join storm
   * before memory is read (0: read it as soon as the server is quiet).
   */
  reclaimWaitMs: number;
}

/** Result of {@linkcode measureIdle}. */
export interface IdleResult {
  /** Server RSS growth per joined idle client once memory settled, in KiB. */
  idle_rss_per_client_kib: number;
  /** The same, read as soon as the join storm was over, in KiB. */
  idle_rss_per_client_after_joins_kib: number;
  /** Server RSS with every client joined, once memory settled, in MiB. */
  idle_rss_mib: number;
  /** Seconds from the first connection until every join announcement was delivered. */
  idle_join_s: number;
  /** Seconds the server sat idle before its memory was read. */
  idle_wait_s: number;
}

/** Clients that join and leave first, so the baseline includes warmed-up code. */
const WARM_UP_CLIENTS = 100;
/** RSS sampling period while waiting for V8 to reclaim memory. */
const SAMPLE_MS = 500;

/** Runs the idle-clients scenario against a fresh server process. */
export async function measureIdle(config: IdleConfig): Promise<IdleResult> {
  checkOpenFileLimit(config.clients + WARM_UP_CLIENTS + 100);
  // Every join is announced to every member (n²/2 frames); replaying those
  // announcements as history to each joiner too would add as many again.
  await using server = await ServerProcess.start({
    maxUsers: config.clients + WARM_UP_CLIENTS,
    args: ["--history-limit=0"],
  });
  await using warmUp = WorkerProcess.spawn("idle_clients.ts");
  await warmUp.call("join", {
    port: server.port,
    first: 0,
    count: WARM_UP_CLIENTS,
    concurrency: 10,
  });
  await warmUp.call("close");
  await settle(server);
  const before = server.rssKib();

  const workers: WorkerProcess[] = [];
  try {
    const started = performance.now();
    const n = config.clients;
    const share = Math.ceil(n / config.processes);
    for (let first = 0; first < n; first += share) {
      workers.push(WorkerProcess.spawn("idle_clients.ts"));
    }
    await Promise.all(workers.map((worker, i) =>
      worker.call("join", {
        port: server.port,
        first: WARM_UP_CLIENTS + i * share,
        count: Math.min(share, n - i * share),
        concurrency: config.concurrency,
      }, 300_000)
    ));
    // Each client gets its JOIN_ACCEPT, then the announcement of its own
    // join and of every later one.
    await waitForFrames(workers, n + (n * (n + 1)) / 2, 300_000);
    const joinS = (performance.now() - started) / 1000;
    await settle(server);
    const quiet = performance.now();
    const afterJoins = server.rssKib();
    const settled = await reclaimed(server, afterJoins, config.reclaimWaitMs);
    return {
      idle_rss_per_client_kib: (settled - before) / n,
      idle_rss_per_client_after_joins_kib: (afterJoins - before) / n,
      idle_rss_mib: settled / 1024,
      idle_join_s: joinS,
      idle_wait_s: (performance.now() - quiet) / 1000,
    };
  } finally {
    // 10,000 users leaving would be announced to one another: n²/2 frames
    // that measure nothing here.
    await server.kill();
    await Promise.all(workers.map((w) => w.close(30_000)));
  }
}

async function waitForFrames(
  workers: WorkerProcess[],
  expected: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const counts = await Promise.all(workers.map((w) => w.call("count")));
    const frames = counts.reduce((sum, c) => sum + Number(c.frames), 0);
    if (frames >= expected) return;
    if (Date.now() > deadline) {
      throw new Error(`Idle clients received ${frames} of ${expected} frames in ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}

/** Waits until the server has used under 2% of a core for 300 ms (at most 10 s). */
async function settle(server: ServerProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = server.cpuMs();
  while (Date.now() < deadline) {
    await sleep(300);
    const now = server.cpuMs();
    if (now - last < 6) return;
    last = now;
  }
}

/**
 * The server's RSS once V8 has given back the join storm's garbage: V8
 * shrinks its heap only after some seconds of quiet (its "memory reducer",
 * typically 10–30 s here). Returns the lowest RSS seen, as soon as it has
 * dropped by a tenth and held for 2 s, or when `maxWaitMs` is up.
 */
async function reclaimed(server: ServerProcess, start: number, maxWaitMs: number) {
  const deadline = Date.now() + maxWaitMs;
  let lowest = start;
  let heldSince = 0;
  while (Date.now() < deadline) {
    await sleep(SAMPLE_MS);
    const rss = server.rssKib();
    if (rss < lowest) {
      lowest = rss;
      heldSince = Date.now();
    }
    if (lowest < start * 0.9 && Date.now() - heldSince >= 2_000) break;
  }
  return lowest;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Fails early, saying what to do, if the processes this one starts (which
 * inherit its limits) cannot open `needed` files: the server needs one per
 * connection. Deno cannot raise the limit itself.
 */
function checkOpenFileLimit(needed: number): void {
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
  if (soft && soft !== "unlimited" && Number(soft) < needed) {
    throw new Error(
      `Cannot run the idle scenario: it needs ${needed} open files in the server process and the limit is ${soft}; raise it first (e.g. \`ulimit -n ${
        needed + 1000
      }\`) or run --quick`,
    );
  }
}
