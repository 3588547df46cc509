/**
 * Writes frames to a connection, in order and never interleaved, with a
 * bound on what may wait and a watch on writes that stall.
 *
 * @module
 */
import { decodeHeader } from "../wire/decode_frame.ts";
import { CODE, ProtocolError } from "../wire/protocol_error.ts";
import { concatBytes } from "../wire/bytes.ts";
import { type StallMonitor, stallMonitorFor } from "./stall_monitor.ts";
import { type ByteConn, CHUNK_SIZE, writeAll } from "./byte_conn.ts";

/** A payload produced on demand, e.g. a file streamed from disk. */
export type PayloadSource = () => AsyncIterable<Uint8Array>;

/**
 * A queued frame: its bytes alone when it is all in memory (the array a
 * broadcast shares between receivers, so queuing allocates nothing), or a
 * header with the payload that streams after it.
 */
type Job = Uint8Array | { bytes: Uint8Array; body: PayloadSource; bodyLength: number };

/** Options for {@linkcode FrameSender}. */
export interface FrameSenderOptions {
  /**
   * Most bytes of in-memory frames that may wait to be written. Past this
   * the peer is too far behind: {@linkcode FrameSender.send} returns false.
   * @default 8388608
   */
  maxQueuedBytes?: number;
  /**
   * Most bytes of streamed payloads (attachments) that may wait behind the
   * one being written. They take no memory while they wait, but they are
   * how far behind the peer is: past this, {@linkcode FrameSender.send}
   * returns false. One payload is always accepted when none waits.
   * @default Infinity
   */
  maxQueuedStreamBytes?: number;
  /**
   * Milliseconds a write may make no progress (the peer stopped reading and
   * its buffers are full) before the sender fails with a `TIMEOUT`
   * {@linkcode ProtocolError} and calls `onError`. An idle connection, with
   * nothing to write, is never timed. @default no limit
   */
  writeTimeoutMs?: number;
  /**
   * The monitor that times this sender's writes, instead of the one shared
   * by every sender with the same `writeTimeoutMs`: a server owns one for
   * all its connections and stops it when it closes.
   */
  stallMonitor?: StallMonitor;
  /** Called once when a write fails (the peer went away or stopped reading). */
  onError?: (error: unknown) => void;
}

/**
 * Writes frames to a connection in order, one writer per connection, so
 * frames never interleave. Small frames queued together go out in one write.
 */
export class FrameSender {
  #conn: ByteConn;
  /** Jobs to write; those before `#head` are written already (no shift() per frame). */
  #queue: Job[] = [];
  #head = 0;
  #queued = 0;
  #max: number;
  #streamQueued = 0;
  #maxStream: number;
  #monitor?: StallMonitor;
  #watch = { writingSince: undefined as number | undefined, stalled: () => this.#stalled() };
  #running: Promise<void> | null = null;
  #failed = false;
  #onError?: (error: unknown) => void;

  /** Wraps a connection. */
  constructor(conn: ByteConn, options: FrameSenderOptions = {}) {
    this.#conn = conn;
    this.#max = options.maxQueuedBytes ?? 8 * 1024 * 1024;
    this.#maxStream = options.maxQueuedStreamBytes ?? Infinity;
    this.#monitor = options.stallMonitor ??
      (options.writeTimeoutMs === undefined ? undefined : stallMonitorFor(options.writeTimeoutMs));
    this.#onError = options.onError;
  }

  /** Bytes of in-memory frames waiting to be written. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** Bytes of streamed payloads waiting to be written (not counting the one under way). */
  get queuedStreamBytes(): number {
    return this.#streamQueued;
  }

  /** False once a write has failed. */
  get ok(): boolean {
    return !this.#failed;
  }

  /**
   * Queues an encoded frame (or a header whose payload `body` streams).
   * Returns false, queuing nothing, if the peer is too far behind or gone.
   */
  send(bytes: Uint8Array, body?: PayloadSource): boolean {
    if (this.#failed) return false;
    if (this.#queued + bytes.length > this.#max && this.#head < this.#queue.length) {
      return false;
    }
    const bodyLength = body ? declaredLength(bytes) : 0;
    if (this.#streamQueued > 0 && this.#streamQueued + bodyLength > this.#maxStream) {
      return false;
    }
    this.#queue.push(body ? { bytes, body, bodyLength } : bytes);
    this.#queued += bytes.length;
    this.#streamQueued += bodyLength;
    this.#running ??= this.#pump();
    return true;
  }

  /** Resolves when everything queued so far has been written (or failed). */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Writes the queue out; always awaits before it ends, so `#running` is set first. */
  async #pump(): Promise<void> {
    const monitor = this.#monitor;
    monitor?.watch(this.#watch);
    try {
      // Let the rest of this turn's work queue its frames first: the frames
      // of broadcasts handled in the same turn of the event loop then go out
      // in one write per connection instead of one each.
      await undefined;
      while (this.#head < this.#queue.length && !this.#failed) {
        const job = this.#queue[this.#head];
        if (job instanceof Uint8Array) {
          await this.#write(this.#takeFrames());
          continue;
        }
        this.#take(1);
        this.#queued -= job.bytes.length;
        this.#streamQueued -= job.bodyLength;
        await this.#write(job.bytes);
        for await (const chunk of job.body()) {
          if (this.#failed) break;
          await this.#write(chunk);
        }
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      monitor?.unwatch(this.#watch);
      this.#running = null;
    }
  }

  /** Marks the sender failed, drops what it queued, and reports `error` (once). */
  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#queue = [];
    this.#head = 0;
    this.#queued = 0;
    this.#streamQueued = 0;
    this.#onError?.(error);
  }

  /**
   * The stall monitor found a write that made no progress for its limit:
   * fail, then close the connection, which ends the pending write (and
   * with it the pump) whatever `onError` does.
   */
  #stalled(): void {
    this.#fail(
      new ProtocolError(
        CODE.TIMEOUT,
        `Cannot write to the peer: no byte was taken for ${this.#monitor?.limitMs} ms (it stopped reading)`,
      ),
    );
    try {
      this.#conn.close();
    } catch {
      // onError closed it already.
    }
  }

  /** {@linkcode writeAll}, telling the stall monitor (if any) while a write is under way. */
  async #write(bytes: Uint8Array): Promise<void> {
    if (!this.#monitor) return await writeAll(this.#conn, bytes);
    const watch = this.#watch;
    let at = 0;
    while (at < bytes.length && !this.#failed) {
      watch.writingSince = Date.now();
      try {
        at += await this.#conn.write(bytes.subarray(at));
      } finally {
        watch.writingSince = undefined;
      }
    }
  }

  /**
   * Takes the in-memory frames at the head of the queue, joined for one
   * write of at most 256 KiB (or one bigger frame). A streamed job queued
   * behind them stays queued.
   */
  #takeFrames(): Uint8Array {
    const queue = this.#queue;
    const head = this.#head;
    let end = head;
    let size = 0;
    for (; end < queue.length; end++) {
      const next = queue[end];
      if (!(next instanceof Uint8Array)) break;
      if (end > head && size + next.length > CHUNK_SIZE) break;
      size += next.length;
    }
    // One frame, as after most broadcasts: nothing to join, no batch array.
    const bytes = end === head + 1
      ? queue[head] as Uint8Array
      : joinBatch(queue.slice(head, end) as Uint8Array[]);
    this.#take(end - head);
    this.#queued -= size;
    return bytes;
  }

  /** Drops the next `n` jobs, reusing the array once it is all written. */
  #take(n: number): void {
    this.#head += n;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

/** The last batch {@linkcode joinBatch} joined: its parts, and the result. */
let lastBatch: { parts: Uint8Array[]; joined: Uint8Array } = {
  parts: [],
  joined: new Uint8Array(),
};

/**
 * Joins a batch of two or more queued frames for one write. A broadcast queues the same
 * frame arrays on every receiver, so consecutive receivers usually have the
 * very same batch: it is then joined once and the result shared (it is only
 * ever read), rather than allocated and copied once per receiver.
 */
function joinBatch(parts: Uint8Array[]): Uint8Array {
  const last = lastBatch.parts;
  if (last.length === parts.length && parts.every((part, i) => part === last[i])) {
    return lastBatch.joined;
  }
  lastBatch = { parts, joined: concatBytes(parts) };
  return lastBatch.joined;
}

/** PAYLOAD_LENGTH of an encoded header, or 0 if the bytes are not one (tests pass stand-ins). */
function declaredLength(bytes: Uint8Array): number {
  try {
    return decodeHeader(bytes)?.header.payloadLength ?? 0;
  } catch (error) {
    if (error instanceof ProtocolError) return 0;
    throw error;
  }
}
