/**
 * Small statistics helpers for the bench: medians, percentiles and a
 * latency histogram that worker processes can merge.
 *
 * @module
 */

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Microseconds per histogram bin: latencies are kept to 10 µs. */
const BIN_US = 10;

/**
 * A latency histogram with 10 µs bins, small enough to send between
 * processes as JSON (only non-empty bins are kept).
 */
export class LatencyHistogram {
  #bins = new Map<number, number>();
  #count = 0;
  #max = 0;

  /** Adds one latency, in milliseconds (negative clock skew counts as 0). */
  add(ms: number): void {
    const bin = Math.max(0, Math.round((ms * 1000) / BIN_US));
    this.#bins.set(bin, (this.#bins.get(bin) ?? 0) + 1);
    this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  /** How many latencies were added. */
  get count(): number {
    return this.#count;
  }

  /** The largest latency added, in milliseconds. */
  get max(): number {
    return this.#max;
  }

  /** The `p`-th percentile (0–100), in milliseconds, to 10 µs. */
  percentile(p: number): number {
    if (this.#count === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.#count);
    let seen = 0;
    for (const bin of [...this.#bins.keys()].sort((a, b) => a - b)) {
      seen += this.#bins.get(bin)!;
      if (seen >= rank) return (bin * BIN_US) / 1000;
    }
    return this.#max;
  }

  /** A JSON-friendly form: `[[bin, count], …]` and the max. */
  toJSON(): { bins: [number, number][]; max: number } {
    return { bins: [...this.#bins], max: this.#max };
  }

  /** Adds every latency of another histogram's JSON form. */
  merge(json: { bins: [number, number][]; max: number }): void {
    for (const [bin, n] of json.bins) {
      this.#bins.set(bin, (this.#bins.get(bin) ?? 0) + n);
      this.#count += n;
    }
    if (json.max > this.#max) this.#max = json.max;
  }
}
