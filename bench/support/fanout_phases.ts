/**
 * The two phases of the fan-out scenario as a load-generator process runs
 * them, whatever the wire: the chatroom's (`bench/workers/fanout_clients.ts`)
 * or IRC (`bench/workers/irc_fanout_clients.ts`). The worker parses what
 * arrives and reports it here; this paces the sends, counts the deliveries
 * and keeps the latencies.
 *
 * Lines are `L <sender> <seq> <send wall ms> …` (steady) or
 * `S <sender> <seq> …` (saturation), padded with dots to the line size.
 *
 * @module
 */
import { LatencyHistogram } from "./stats.ts";
import { runWorker, wallMs } from "./worker_io.ts";

/** Longest a phase may wait for missing messages after its last send. */
export const GRACE_MS = 10_000;

/** One load client as the phases see it. */
export interface FanoutMember {
  /** Its index among the clients of every process. */
  index: number;
  /** Queues one chat line (the text of the message). */
  send(text: string): void;
  /** Its own saturation lines answered so far (echoed, or seen by its watcher). */
  answered: number;
  /** Called when `answered` grows. */
  wake?: () => void;
}

/** `steady` command of a fan-out worker. */
export interface SteadyCommand {
  startMs: number;
  rate: number;
  messages: number;
  total: number;
  bytes: number;
}

/** `saturate` command of a fan-out worker. */
export interface SaturateCommand {
  startMs: number;
  messages: number;
  window: number;
  total: number;
  bytes: number;
}

/** Options for {@linkcode FanoutPhases}. */
export interface FanoutPhasesOptions {
  /**
   * Whether the server sends a line back to its sender too (the chatroom
   * does, with `ECHO`; IRC servers do not): each line then reaches every
   * client here, else every client here but its sender. @default true
   */
  echoesToSender?: boolean;
}

/** Paces one process's clients through the phases and counts what arrives. */
export class FanoutPhases {
  #latency = new LatencyHistogram();
  #steadyReceived = 0;
  #saturateReceived = 0;
  #lastReceiveMs = 0;
  #progress?: () => void;
  #echoes: boolean;

  /** Phases with the given echo rule. */
  constructor(options: FanoutPhasesOptions = {}) {
    this.#echoes = options.echoesToSender ?? true;
  }

  /** A steady line sent at `sentMs` reached one client at `receivedMs`. */
  steadyLine(sentMs: number, receivedMs: number): void {
    this.#latency.add(receivedMs - sentMs);
    this.#steadyReceived++;
    this.#progress?.();
  }

  /** A saturation line reached one client; `answered` is its sender if this counts as its answer. */
  saturateLine(receivedMs: number, answered?: FanoutMember): void {
    this.#saturateReceived++;
    this.#lastReceiveMs = receivedMs;
    if (answered) {
      answered.answered++;
      answered.wake?.();
    }
    this.#progress?.();
  }

  /** How many deliveries of `messages` lines from each of `total` clients are due here. */
  #expected(members: FanoutMember[], total: number, messages: number): number {
    const senders = this.#echoes ? total : total - 1;
    return senders * messages * members.length;
  }

  /**
   * From `startMs`, each client sends `messages` lines at `rate` per
   * second, the `total` clients of all processes staggered evenly over one
   * period. Ends when every line has reached every client here, or
   * {@linkcode GRACE_MS} after the last send.
   */
  async steady(members: FanoutMember[], c: SteadyCommand): Promise<Record<string, unknown>> {
    this.#latency = new LatencyHistogram();
    this.#steadyReceived = 0;
    const period = 1000 / c.rate;
    await Promise.all(members.map(async (m) => {
      for (let seq = 0; seq < c.messages; seq++) {
        await sleepUntil(c.startMs + (m.index / c.total) * period + seq * period);
        m.send(chatLine(`L ${m.index} ${seq} ${wallMs().toFixed(3)}`, c.bytes));
      }
    }));
    const expected = this.#expected(members, c.total, c.messages);
    await this.#waitFor(() => this.#steadyReceived >= expected, GRACE_MS);
    return { latency: this.#latency.toJSON(), received: this.#steadyReceived, expected };
  }

  /**
   * From `startMs` each client sends `messages` lines as fast as they are
   * answered, with at most `window` unanswered.
   */
  async saturate(members: FanoutMember[], c: SaturateCommand): Promise<Record<string, unknown>> {
    this.#saturateReceived = 0;
    this.#lastReceiveMs = 0;
    for (const m of members) m.answered = 0;
    await sleepUntil(c.startMs);
    await Promise.all(members.map(async (m) => {
      for (let seq = 0; seq < c.messages; seq++) {
        while (seq - m.answered >= c.window) {
          const woken = Promise.withResolvers<void>();
          m.wake = woken.resolve;
          const timer = setTimeout(woken.resolve, GRACE_MS);
          await woken.promise;
          clearTimeout(timer);
          if (seq - m.answered >= c.window) {
            throw new Error(`Client fan${m.index} got no answer for ${GRACE_MS} ms`);
          }
        }
        m.send(chatLine(`S ${m.index} ${seq}`, c.bytes));
      }
    }));
    const expected = this.#expected(members, c.total, c.messages);
    await this.#waitFor(() => this.#saturateReceived >= expected, GRACE_MS);
    return { received: this.#saturateReceived, expected, endMs: this.#lastReceiveMs };
  }

  /** Resolves when `done()` holds, checked on every delivery, or after `timeoutMs`. */
  async #waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && Date.now() < deadline) {
      const woken = Promise.withResolvers<void>();
      this.#progress = woken.resolve;
      const timer = setTimeout(woken.resolve, deadline - Date.now());
      await woken.promise;
      clearTimeout(timer);
    }
    this.#progress = undefined;
  }
}

/** `prefix` padded with a space and dots to `bytes` bytes (ASCII). */
export function chatLine(prefix: string, bytes: number): string {
  return prefix.length >= bytes ? prefix : prefix + " " + ".".repeat(bytes - prefix.length - 1);
}

/**
 * The number in space-separated field `field` (0-based) of an ASCII line:
 * the sender (1) or the send time (3). Read straight from the bytes: this
 * runs half a million times a second on the cores the server needs.
 */
export function lineField(line: Uint8Array, field: number): number {
  let at = 0;
  for (let spaces = 0; spaces < field && at < line.length; at++) {
    if (line[at] === 0x20) spaces++;
  }
  let end = at;
  while (end < line.length && line[end] !== 0x20) end++;
  return Number(String.fromCharCode.apply(null, line.subarray(at, end) as unknown as number[]));
}

async function sleepUntil(wall: number): Promise<void> {
  const ms = wall - wallMs();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Serves the bench runner's commands to a fan-out load generator: `join`
 * (its own, per protocol), then the two phases, paced by `phases` over
 * `members`.
 */
export async function runFanoutWorker(
  phases: FanoutPhases,
  members: FanoutMember[],
  join: (port: number, first: number, count: number) => Promise<void>,
): Promise<void> {
  await runWorker(async (command) => {
    switch (command.cmd) {
      case "join":
        return await join(Number(command.port), Number(command.first), Number(command.count));
      case "steady":
        return await phases.steady(members, command as unknown as SteadyCommand);
      case "saturate":
        return await phases.saturate(members, command as unknown as SaturateCommand);
    }
    throw new Error(`Unknown command ${command.cmd}`);
  });
}
