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

/** Options for {@linkcode StallMonitor}. */
export interface StallMonitorOptions {
  /**
   * Keep the timer from the first watch until {@linkcode StallMonitor.stop},
   * instead of stopping it each time nothing is watched: for an owner that
   * can stop it, such as a server (a broadcast empties and refills the set
   * at every turn, and re-arming the timer each time cost more than the
   * check). @default false
   */
  persistent?: boolean;
  /** The clock. @default Date.now */
  now?: () => number;
}

/**
 * Calls {@linkcode Watched.stalled} on any watched writer whose write made
 * no progress for `limitMs`. Its one timer runs only while something is
 * watched (or, `persistent`, until stopped), and checks every quarter of
 * the limit, so a stall is reported between `limitMs` and `1.25 × limitMs`
 * after the last progress.
 */
export class StallMonitor {
  /** The limit, in milliseconds. */
  readonly limitMs: number;
  #watched = new Set<Watched>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #now: () => number;
  #persistent: boolean;
  #stopped = false;
  /** How often the timer checks: a quarter of the limit, within what a timer can wait. */
  #period: number;

  /** A monitor for `limitMs`. */
  constructor(limitMs: number, options: StallMonitorOptions = {}) {
    if (!(limitMs > 0)) throw new RangeError(`Stall limit must be positive, got ${limitMs}`);
    this.limitMs = limitMs;
    this.#now = options.now ?? Date.now;
    this.#persistent = options.persistent ?? false;
    this.#period = Math.min(Math.max(1, limitMs / 4), MAX_TIMER_DELAY_MS);
  }

  /**
   * Stops the timer for good: writers are no longer timed (their
   * connections are being closed). Safe to call twice.
   */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Number of writers watched now. */
  get size(): number {
    return this.#watched.size;
  }

  /** Starts watching `item` (until {@linkcode StallMonitor.unwatch}). */
  watch(item: Watched): void {
    this.#watched.add(item);
    if (this.#stopped) return;
    this.#timer ??= setInterval(() => this.check(), this.#period);
  }

  /** Stops watching `item`; unless persistent, the timer stops with the last one. */
  unwatch(item: Watched): void {
    this.#watched.delete(item);
    if (this.#watched.size === 0 && this.#timer !== undefined && !this.#persistent) {
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

/**
 * Longest delay a timer takes (2^31 − 1 ms, about 24.8 days); a longer one
 * fires after 1 ms instead. Limits longer than this are checked this often.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

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
