/**
 * Handing the event loop back to everyone else during long work.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/**
 * Resolves after the event loop has had a turn: timers, and other
 * connections' reads and writes, run first. A write to a socket with room
 * in its buffer resolves without such a turn, so a loop of writes (a
 * 50,000-line history to a fast reader) would otherwise hold every other
 * user up until it is done. Costs about 10 µs (`setTimeout(0)` costs 1–4 ms).
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock for work done in slices: {@linkcode EventLoopSlice.due} is true
 * once the slice has run `sliceMs` since it began (or since the last
 * {@linkcode EventLoopSlice.yield}).
 *
 * @example
 * ```ts
 * const slice = new EventLoopSlice(2);
 * for (const item of manyItems) {
 *   work(item);
 *   if (slice.due) await slice.yield();
 * }
 * ```
 */
export class EventLoopSlice {
  #sliceMs: number;
  #start = performance.now();

  /** A slice of `sliceMs` milliseconds, starting now. */
  constructor(sliceMs: number) {
    this.#sliceMs = sliceMs;
  }

  /** True once this slice has used its time. */
  get due(): boolean {
    return performance.now() - this.#start >= this.#sliceMs;
  }

  /** Gives the event loop a turn, then starts a new slice. */
  async yield(): Promise<void> {
    await yieldToEventLoop();
    this.#start = performance.now();
  }
}
