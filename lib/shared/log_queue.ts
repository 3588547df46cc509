/**
 * A log sink that never blocks: lines go to a bounded queue that one
 * asynchronous writer drains, so a reader that stops reading (a paused
 * terminal, a full pipe) stalls only the log, never the server. The lines
 * of a few milliseconds share one write: an asynchronous `Deno.stdout.write`
 * costs ~30 µs of CPU (16 on the main thread) whatever its size, where a
 * synchronous one costs ~1.5, so a write per line cost a busy server a few
 * per cent of its event loop.
 *
 * @module
 */
import type { LineSink } from "./log.ts";
import { clock } from "./format.ts";
import { concatBytes } from "./wire/bytes.ts";
import { writeAll } from "./net/byte_conn.ts";

/** Where a {@linkcode LogQueue} writes: `Deno.stdout`, or any writer. */
export interface AsyncWriter {
  write(p: Uint8Array): Promise<number>;
}

/** Options for {@linkcode LogQueue}. */
export interface LogQueueOptions {
  /** Most bytes of lines waiting to be written; past it lines are dropped and counted. @default 1048576 */
  maxBytes?: number;
  /** The clock, for the "dropped" line's time. @default Date.now */
  now?: () => number;
  /**
   * Milliseconds a line waits for others to share its write, when none is
   * under way ({@linkcode DEFAULT_LOG_COALESCE_MS}); 0 writes at once.
   */
  coalesceMs?: number;
}

/**
 * How long a line waits for others before the queue writes, by default:
 * short enough that a person watching the log sees nothing late, long
 * enough that 1,000 chat lines a second take ~100 writes, not 1,000.
 */
export const DEFAULT_LOG_COALESCE_MS = 10;

/** Bytes of log lines that may wait for a slow reader, by default: 1 MiB. */
export const DEFAULT_LOG_QUEUE_BYTES = 1024 * 1024;

/**
 * Lines queued for an {@linkcode AsyncWriter}. When the queue is full, a
 * line is dropped and counted; a line saying `N log lines dropped` goes out
 * as soon as the writer has caught up with what was queued before them (or
 * before the next line, if that comes first), so a log that goes quiet
 * still tells what it left out.
 *
 * @example
 * ```ts
 * const queue = new LogQueue(Deno.stdout);
 * const logger = new Logger(queue.sink);
 * ```
 */
export class LogQueue {
  #writer: AsyncWriter;
  #maxBytes: number;
  #now: () => number;
  #coalesceMs: number;
  #encoder = new TextEncoder();
  #lines: Uint8Array[] = [];
  #bytes = 0;
  #dropped = 0;
  #writing: Promise<void> | undefined;
  #failed = false;

  /** Creates a queue writing to `writer`. */
  constructor(writer: AsyncWriter, options: LogQueueOptions = {}) {
    this.#writer = writer;
    this.#maxBytes = options.maxBytes ?? DEFAULT_LOG_QUEUE_BYTES;
    this.#now = options.now ?? Date.now;
    this.#coalesceMs = options.coalesceMs ?? DEFAULT_LOG_COALESCE_MS;
  }

  /** Lines dropped since the last "dropped" line went out. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#bytes;
  }

  /** Queues a line (a bound function, to pass as a {@linkcode LineSink}). */
  readonly sink: LineSink = (line) => {
    const bytes = this.#encoder.encode(line + "\n");
    if (this.#failed || this.#bytes + bytes.length > this.#maxBytes) {
      this.#dropped++;
      // A line too long for an empty queue is reported at once, not with the next one.
      if (!this.#failed) this.#writing ??= this.#drain();
      return;
    }
    if (this.#dropped > 0) this.#noteDropped();
    this.#push(bytes);
    this.#writing ??= this.#drain();
  };

  /** Resolves once every queued line is written (or the writer failed). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  #noteDropped(): void {
    const n = this.#dropped;
    this.#dropped = 0;
    this.#push(
      this.#encoder.encode(`[${clock(this.#now())}] ${n} log line${n === 1 ? "" : "s"} dropped\n`),
    );
  }

  #push(bytes: Uint8Array): void {
    this.#lines.push(bytes);
    this.#bytes += bytes.length;
  }

  async #drain(): Promise<void> {
    try {
      if (this.#coalesceMs > 0) await new Promise((r) => setTimeout(r, this.#coalesceMs));
      while (true) {
        // A batch was written: there is room again to say what was dropped meanwhile.
        if (this.#dropped > 0) this.#noteDropped();
        if (this.#lines.length === 0) break;
        const batch = this.#lines.splice(0, 256);
        const joined = concatBytes(batch);
        await writeAll(this.#writer, joined);
        this.#bytes -= joined.length;
      }
    } catch (_) {
      // stdout is gone (a closed pipe): nowhere to report it; later lines are counted as dropped.
      this.#failed = true;
      this.#lines = [];
      this.#bytes = 0;
    } finally {
      this.#writing = undefined;
    }
  }
}
