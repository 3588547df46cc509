/**
 * One timer that watches many writers for stalls, instead of a timer per
 * write: a broadcast to 100 users is 100 writes, and arming and clearing a
 * timer for each cost more than the writes themselves.
 *
 * @module
 */

/** A writer a {@linkcode StallMonitor} watches. */
export interface Watched {
  /**
   * `Date.now()` when its current write started or last made progress, or
   * `undefined` while it is not writing (waiting for something else is not
   * a stall).
   */
  readonly writingSince: number | undefined;
  /** Called once, when a write made no progress for the monitor's limit. */
  stalled(): void;
}

/**
 * Calls {@linkcode Watched.stalled} on any watched writer whose write made
 * no progress for `limitMs`. Its one timer runs only while something is
 * watched, and checks every quarter of the limit, so a stall is reported
 * between `limitMs` and `1.25 × limitMs` after the last progress.
 */
export class StallMonitor {
  /** The limit, in milliseconds. */
  readonly limitMs: number;
  #watched = new Set<Watched>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #now: () => number;

  /** A monitor for `limitMs`; `now` is injectable for tests. */
  constructor(limitMs: number, now: () => number = Date.now) {
    if (!(limitMs > 0)) throw new RangeError(`Stall limit must be positive, got ${limitMs}`);
    this.limitMs = limitMs;
    this.#now = now;
  }

  /** Number of writers watched now. */
  get size(): number {
    return this.#watched.size;
  }

  /** Starts watching `item` (until {@linkcode StallMonitor.unwatch}). */
  watch(item: Watched): void {
    this.#watched.add(item);
    this.#timer ??= setInterval(() => this.check(), Math.max(1, this.limitMs / 4));
  }

  /** Stops watching `item`; the timer stops with the last one. */
  unwatch(item: Watched): void {
    this.#watched.delete(item);
    if (this.#watched.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Reports (and stops watching) every writer stalled for the limit. Runs on the timer. */
  check(): void {
    const now = this.#now();
    for (const item of this.#watched) {
      const since = item.writingSince;
      if (since !== undefined && now - since >= this.limitMs) {
        this.unwatch(item);
        item.stalled();
      }
    }
  }
}

const shared = new Map<number, StallMonitor>();

/** The monitor every writer with the limit `limitMs` shares. */
export function stallMonitorFor(limitMs: number): StallMonitor {
  let monitor = shared.get(limitMs);
  if (!monitor) {
    monitor = new StallMonitor(limitMs);
    shared.set(limitMs, monitor);
  }
  return monitor;
}
