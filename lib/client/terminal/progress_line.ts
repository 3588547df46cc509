/**
 * The terminal's progress line for big uploads and downloads: bytes, rate
 * and time left, e.g. `Uploading big.bin: 3.0 MiB of 8.0 MiB (37%), 12 MiB/s, 1 s left`.
 *
 * @module
 */
import type { TransferProgress } from "../attachment_streams.ts";
import { formatBytes } from "../../shared/format.ts";
import { inertText } from "../../shared/text.ts";

/** Options for {@linkcode ProgressMeter}. */
export interface ProgressMeterOptions {
  /** Smaller transfers show no progress. @default 1048576 (1 MiB) */
  minBytes?: number;
  /** Least time between two updates of the line, in ms. @default 200 */
  intervalMs?: number;
  /** The clock, in ms. @default Date.now */
  now?: () => number;
}

interface Transfer {
  direction: TransferProgress["direction"];
  filename: string;
  started: number;
  done: number;
  total: number;
}

/**
 * Turns {@linkcode TransferProgress} reports into the text of one status
 * line, throttled: {@linkcode update} says whether the line changed.
 *
 * @example
 * ```ts
 * const meter = new ProgressMeter();
 * const text = meter.update(progress); // a string to show, null to remove the line, or undefined
 * ```
 */
export class ProgressMeter {
  #minBytes: number;
  #intervalMs: number;
  #now: () => number;
  /** By direction, and for downloads forwarded as they arrive by transfer id too. */
  #transfers = new Map<string, Transfer>();
  #shownAt = -Infinity;

  /** Creates a meter with no transfer under way. */
  constructor(options: ProgressMeterOptions = {}) {
    this.#minBytes = options.minBytes ?? 1024 * 1024;
    this.#intervalMs = options.intervalMs ?? 200;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Takes one report. Returns the status line's new text, `null` when no
   * transfer is left to show, or `undefined` when the line need not change.
   */
  update(progress: TransferProgress): string | null | undefined {
    if (progress.total < this.#minBytes) return undefined;
    const now = this.#now();
    const { direction, filename, done, total } = progress;
    const key = progress.id === undefined ? direction : `${direction} ${progress.id}`;
    let transfer = this.#transfers.get(key);
    if (!transfer || transfer.filename !== filename || done < transfer.done) {
      transfer = { direction, filename, started: now, done, total };
      this.#transfers.set(key, transfer);
    }
    transfer.done = done;
    if (done >= total) {
      this.#transfers.delete(key);
      this.#shownAt = -Infinity;
      return this.#transfers.size === 0 ? null : this.text();
    }
    if (now - this.#shownAt < this.#intervalMs) return undefined;
    this.#shownAt = now;
    return this.text();
  }

  /** True while a transfer big enough to show is under way. */
  get active(): boolean {
    return this.#transfers.size > 0;
  }

  /** The line for the transfers under way. */
  text(): string {
    const now = this.#now();
    return [...this.#transfers.values()].map((t) => {
      const verb = t.direction === "upload" ? "Uploading" : "Downloading";
      const name = inertText(t.filename.split(/[\\/]/).pop() || t.filename);
      const percent = Math.floor((t.done / t.total) * 100);
      const seconds = (now - t.started) / 1000;
      let line = `${verb} ${name}: ${formatBytes(t.done)} of ${formatBytes(t.total)} (${percent}%)`;
      if (seconds > 0 && t.done > 0) {
        const rate = t.done / seconds;
        const left = Math.ceil((t.total - t.done) / rate);
        line += `, ${formatBytes(Math.round(rate))}/s, ${formatDuration(left)} left`;
      }
      return line;
    }).join("; ");
  }
}

/** Seconds as `42 s`, `3 min 5 s` or `2 h 10 min`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
