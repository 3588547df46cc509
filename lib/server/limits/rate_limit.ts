/**
 * How fast one connection's frames are read: a token bucket. Pure: the
 * caller passes the clock and does the waiting.
 *
 * The server never drops or refuses a frame for coming too fast. It takes
 * a token before reading each frame; when none is left it waits, so it reads
 * that connection more slowly, and TCP backpressure slows the sender. A paste
 * up to the burst size goes through at once; a flood is held to the rate, and
 * cannot starve anyone else.
 *
 * @module
 */
import { addressKey, isLoopback } from "./conn_limits.ts";

/** Options for {@linkcode TokenBucket}. */
export interface RateLimit {
  /** Frames per second, sustained. */
  perSecond: number;
  /** Frames that may come at once after a quiet spell (the bucket's size). */
  burst: number;
}

/** The server's default: 10 frames a second, bursts of 30 (a 20-line paste goes straight through). */
export const DEFAULT_RATE_LIMIT: Readonly<RateLimit> = { perSecond: 10, burst: 30 };

/**
 * A token bucket. Each {@linkcode take} reserves one token and says how long
 * to wait until it is really there, so consecutive callers queue up fairly.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ perSecond: 10, burst: 2 }, 0);
 * bucket.take(0); // 0: go
 * bucket.take(0); // 0: go
 * bucket.take(0); // 100: wait 100 ms, then go
 * ```
 */
export class TokenBucket {
  #perMs: number;
  #burst: number;
  #tokens: number;
  #last: number;

  /** A bucket at time `now` (milliseconds) holding `tokens` (full unless given). */
  constructor(limit: RateLimit, now: number, tokens: number = limit.burst) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new RangeError(
        `Cannot create a rate limit of ${limit.perSecond} per second with a burst of ${limit.burst}: both must be positive, the burst at least 1`,
      );
    }
    this.#perMs = limit.perSecond / 1000;
    this.#burst = limit.burst;
    this.#tokens = Math.min(limit.burst, tokens);
    this.#last = now;
  }

  /** Tokens available at `now` (may be negative while callers wait). */
  available(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  /**
   * Takes one token at time `now`. Returns 0 if it was there, else the
   * milliseconds to wait before going on (the token is reserved meanwhile).
   */
  take(now: number): number {
    this.#refill(now);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil(-this.#tokens / this.#perMs);
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#last);
    this.#last = Math.max(this.#last, now);
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs);
  }
}

/** The default of {@linkcode BurstPoolOptions.maxAddresses}. */
export const DEFAULT_BURST_POOL_ADDRESSES = 4096;

/** Options for {@linkcode BurstPool}. */
export interface BurstPoolOptions {
  /** Most addresses remembered. @default 4096 ({@linkcode DEFAULT_BURST_POOL_ADDRESSES}) */
  maxAddresses?: number;
  /**
   * Pool loopback's bursts too; by default each connection from 127.0.0.1
   * or ::1 has a full one (local tests, or every user through a local
   * proxy), as loopback is exempt from the per-address cap
   * (`ConnectionLimitOptions.limitLoopback`). @default false
   */
  limitLoopback?: boolean;
}

/**
 * A new connection's burst comes from its address (one IPv6 /64, as for
 * `ConnectionLimits`): it starts with what the address's burst
 * holds (refilled at the rate since the last connection took it), and
 * takes all of it; from then on it has a bucket of its own, which refills
 * as any does. So closing and reconnecting, or opening connections side by
 * side, buys no fresh burst: a flood from one address is held to the rate
 * of its open connections (at most `--max-per-address` of them), not to a
 * burst per connect. An address whose burst has refilled is forgotten;
 * past `maxAddresses` the oldest are, so the memory is bounded whoever
 * connects.
 *
 * @example
 * ```ts
 * const pool = new BurstPool({ perSecond: 10, burst: 30 });
 * pool.open("10.0.0.1", 0).available(0); // 30
 * pool.open("10.0.0.1", 100).available(100); // 1: not 30
 * ```
 */
export class BurstPool {
  #limit: RateLimit;
  #max: number;
  #limitLoopback: boolean;
  /** When a connection last took each address's burst; in order of that. */
  #taken = new Map<string, number>();

  /** Pools bursts of `limit`. */
  constructor(limit: RateLimit, options: BurstPoolOptions = {}) {
    this.#limit = limit;
    this.#max = options.maxAddresses ?? DEFAULT_BURST_POOL_ADDRESSES;
    this.#limitLoopback = options.limitLoopback ?? false;
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.#taken.size;
  }

  /** A bucket for a new connection from `hostname` at `now`, with its address's burst. */
  open(hostname: string, now: number): TokenBucket {
    if (!this.#limitLoopback && isLoopback(hostname)) return new TokenBucket(this.#limit, now);
    const address = addressKey(hostname);
    const at = this.#taken.get(address);
    const tokens = at === undefined ? this.#limit.burst : this.#refilled(at, now);
    this.#taken.delete(address);
    this.#taken.set(address, now);
    // Entries in order of `now`: the first ones are refilled (forgotten) or the oldest.
    for (const [key, when] of this.#taken) {
      if (this.#refilled(when, now) < this.#limit.burst && this.#taken.size <= this.#max) break;
      this.#taken.delete(key);
    }
    return new TokenBucket(this.#limit, now, tokens);
  }

  /** What a burst taken at `at` holds again at `now`. */
  #refilled(at: number, now: number): number {
    const { perSecond, burst } = this.#limit;
    return Math.min(burst, Math.max(0, now - at) * perSecond / 1000);
  }
}
