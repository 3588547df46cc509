/**
 * How long a {@linkcode FrameReader} lets a peer take: the time rules of
 * one connection's reads, as a pure state machine (the caller passes the
 * clock). A peer idle between frames is never timed, unless a deadline is
 * set; inside a frame it must keep making progress, send its whole header
 * within the stall time, and send its payload at a minimum average rate.
 *
 * @module
 */
import { CODE, ProtocolError } from "../wire/protocol_error.ts";

/** Options for {@linkcode ReadBudget}. */
export interface ReadBudgetOptions {
  /**
   * Milliseconds a frame may go without a byte; also the most a whole
   * header may take, counted from its first byte. @default 30000
   */
  stallTimeoutMs?: number;
  /**
   * Slowest a payload may arrive, in bytes a second, averaged over
   * `rateWindowMs`; the first window is the grace period. 0 for no minimum.
   * @default 0
   */
  minBytesPerSecond?: number;
  /** The window the payload rate is averaged over. @default 10000 */
  rateWindowMs?: number;
}

/** Where a reader is in the stream. */
type Phase = "idle" | "header" | "payload";

/**
 * The time rules of one connection's reads. Call {@linkcode check} before
 * and while waiting for a read: it throws the `TIMEOUT`
 * {@linkcode ProtocolError} of a rule broken, or says how long the read
 * may go on before it must be called again.
 *
 * @example
 * ```ts
 * const budget = new ReadBudget({ stallTimeoutMs: 1000 });
 * budget.startHeader(0);
 * budget.check(400); // 600: the header may take 600 ms more
 * budget.progress(400, 3);
 * budget.check(999); // 1: one byte every 400 ms does not make it any longer
 * ```
 */
export class ReadBudget {
  #stallMs: number;
  #minRate: number;
  #windowMs: number;
  #phase: Phase = "idle";
  #lastProgress = 0;
  #headerStarted = 0;
  #headerBytes = 0;
  /** Start of the current rate window, and the payload bytes counted by then. */
  #markAt = 0;
  #markBytes = 0;
  #payloadBytes = 0;
  #deadline: { at: number; why: string } | undefined;

  /** Creates a budget with the given rules. */
  constructor(options: ReadBudgetOptions = {}) {
    this.#stallMs = options.stallTimeoutMs ?? 30_000;
    this.#minRate = options.minBytesPerSecond ?? 0;
    this.#windowMs = options.rateWindowMs ?? 10_000;
    if (!(this.#stallMs > 0) || !(this.#minRate >= 0) || !(this.#windowMs > 0)) {
      throw new RangeError(
        `Cannot time reads with a stall timeout of ${this.#stallMs} ms, a minimum rate of ${this.#minRate} bytes/s over ${this.#windowMs} ms: the times must be positive, the rate at least 0`,
      );
    }
  }

  /** The stall timeout, in milliseconds. */
  get stallTimeoutMs(): number {
    return this.#stallMs;
  }

  /**
   * From `at` (a clock time) on, {@linkcode check} fails with a TIMEOUT
   * error saying `why`, between frames too; `undefined` lifts it.
   */
  setDeadline(at: number | undefined, why = "Cannot read: the time allowed is up"): void {
    this.#deadline = at === undefined ? undefined : { at, why };
  }

  /** Waiting between frames: only a deadline applies. */
  idle(): void {
    this.#phase = "idle";
  }

  /** The first bytes of a header are here (at `now`); it has the stall time to be complete. */
  startHeader(now: number, bytes: number): void {
    this.#phase = "header";
    this.#headerStarted = this.#lastProgress = now;
    this.#headerBytes = bytes;
  }

  /** A header was decoded at `now`; `buffered` bytes of its payload are already here. */
  startPayload(now: number, buffered: number): void {
    this.#phase = "payload";
    this.#lastProgress = this.#markAt = now;
    this.#payloadBytes = buffered;
    this.#markBytes = 0;
  }

  /** A read returned `bytes` at `now`. */
  progress(now: number, bytes: number): void {
    this.#lastProgress = now;
    if (this.#phase === "payload") this.#payloadBytes += bytes;
    else if (this.#phase === "header") this.#headerBytes += bytes;
  }

  /**
   * Throws the TIMEOUT error of a rule broken at `now`; otherwise returns
   * the milliseconds until one could be (`Infinity` if none applies).
   */
  check(now: number): number {
    let wait = Infinity;
    if (this.#deadline) {
      if (now >= this.#deadline.at) throw new ProtocolError(CODE.TIMEOUT, this.#deadline.why);
      wait = this.#deadline.at - now;
    }
    if (this.#phase === "idle") return wait;
    const stalled = now - this.#lastProgress;
    if (stalled >= this.#stallMs) {
      throw new ProtocolError(
        CODE.TIMEOUT,
        `Cannot read frame: the peer sent nothing for ${this.#stallMs} ms in the middle of a frame`,
      );
    }
    wait = Math.min(wait, this.#stallMs - stalled);
    if (this.#phase === "header") {
      const taken = now - this.#headerStarted;
      if (taken >= this.#stallMs) {
        throw new ProtocolError(
          CODE.TIMEOUT,
          `Cannot read frame: its header took over ${this.#stallMs} ms to arrive (${this.#headerBytes} bytes of it came)`,
        );
      }
      return Math.min(wait, this.#stallMs - taken);
    }
    return this.#minRate > 0 ? Math.min(wait, this.#checkRate(now)) : wait;
  }

  /** At the end of each window, the payload's rate over it must reach the minimum. */
  #checkRate(now: number): number {
    const elapsed = now - this.#markAt;
    if (elapsed < this.#windowMs) return this.#windowMs - elapsed;
    const bytes = this.#payloadBytes - this.#markBytes;
    const rate = bytes * 1000 / elapsed;
    if (rate < this.#minRate) {
      throw new ProtocolError(
        CODE.TIMEOUT,
        `Cannot read frame: its payload arrived at ${
          Math.round(rate)
        } bytes/s over ${elapsed} ms, under the minimum of ${this.#minRate} bytes/s`,
      );
    }
    this.#markAt = now;
    this.#markBytes = this.#payloadBytes;
    return this.#windowMs;
  }
}
