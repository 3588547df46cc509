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
import type { FrameLog } from "./frame_log.ts";
import { PooledFrame } from "./frame_pool.ts";

/** A payload produced on demand, e.g. a file streamed from disk. */
export type PayloadSource = () => AsyncIterable<Uint8Array>;

/**
 * Bytes produced on demand, frames whole: a joiner's history or avatars.
 * `hold` tells the sender how many bytes the source holds in memory now (a
 * page of history read, a frame encoded), so they count against the
 * connection's budget while they are held.
 */
export type StreamSource = (hold: (bytes: number) => void) => AsyncIterable<Uint8Array>;

/** The default of {@linkcode FrameSenderOptions.maxQueueBytes}: 8 MiB. */
export const DEFAULT_MAX_QUEUE_BYTES = 8 * 1024 * 1024;

/**
 * What a streamed payload holds while it is written: the buffers a file is
 * read with (`readFileChunks` keeps three chunks of {@linkcode CHUNK_SIZE}).
 * A payload is charged this (or its length, if shorter) from the moment it is
 * queued: it takes no memory while it waits, but it will, and so a reader
 * cannot have any number of them waiting.
 */
export const BODY_BUFFER_BYTES = 3 * CHUNK_SIZE;

/**
 * A queued job: a frame's bytes alone when it is all in memory (in a buffer
 * of its own, or a pool's), frames of a {@linkcode FrameLog} in a row
 * (broadcasts: one object for any number of them), or bytes with a payload
 * or a stream after them, charged `cost`.
 */
type Job = Uint8Array | PooledFrame | FrameRun | StreamJob;

/** Frames `start` … `end - 1` of one chunk of a {@linkcode FrameLog}, still to write. */
class FrameRun {
  frames: Uint8Array[];
  start: number;
  end: number;
  constructor(frames: Uint8Array[], start: number) {
    this.frames = frames;
    this.start = start;
    this.end = start + 1;
  }
}

interface StreamJob {
  bytes: Uint8Array;
  body: StreamSource;
  /** What the job is charged now: fixed for a payload, what it holds for a stream. */
  cost: number;
  /** Aborted before it starts: skipped (a stream holds nothing until it starts). */
  signal?: AbortSignal;
}

/** Options for {@linkcode FrameSender.stream}. */
export interface StreamOptions {
  /**
   * Cancels the stream if it has not started: it is skipped. A stream under
   * way must watch the signal itself and end at a frame boundary.
   */
  signal?: AbortSignal;
}

/** Options for {@linkcode FrameSender}. */
export interface FrameSenderOptions {
  /**
   * The connection's budget: most bytes its queue may hold. Everything
   * queued counts, until it is written: frames in memory their size, a
   * streamed payload {@linkcode BODY_BUFFER_BYTES} (or its length), a stream
   * (a joiner's history) what it holds at the time. Past it the peer is too
   * far behind: {@linkcode FrameSender.send} returns false. One job is
   * always accepted when nothing is queued, so a frame larger than the
   * budget still reaches a peer that keeps up.
   * @default 8388608 ({@linkcode DEFAULT_MAX_QUEUE_BYTES})
   */
  maxQueueBytes?: number;
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
  /** Bytes charged to the connection: every job queued or under way. */
  #queued = 0;
  #max: number;
  #monitor?: StallMonitor;
  #watch = { writingSince: undefined as number | undefined, stalled: () => this.#stalled() };
  #running: Promise<void> | null = null;
  /** Pooled frames in the write under way, released once it is over. */
  #writing: PooledFrame[] = [];
  #failed = false;
  #onError?: (error: unknown) => void;

  /** Wraps a connection. */
  constructor(conn: ByteConn, options: FrameSenderOptions = {}) {
    this.#conn = conn;
    this.#max = options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.#monitor = options.stallMonitor ??
      (options.writeTimeoutMs === undefined ? undefined : stallMonitorFor(options.writeTimeoutMs));
    this.#onError = options.onError;
  }

  /** Bytes charged against the budget now: what is queued or being written. */
  get queuedBytes(): number {
    return this.#queued;
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
    if (!body) {
      if (!this.#admit(bytes.length)) return false;
      this.#push(bytes, bytes.length);
      return true;
    }
    const cost = bytes.length + Math.min(declaredLength(bytes), BODY_BUFFER_BYTES);
    if (!this.#admit(cost)) return false;
    this.#push({ bytes, body, cost }, cost);
    return true;
  }

  /**
   * Queues a pooled frame, holding it until it is written (or dropped, if
   * the connection fails first). Returns false, queuing and holding
   * nothing, as {@linkcode send}.
   */
  sendPooled(frame: PooledFrame): boolean {
    if (!this.#admit(frame.bytes.length)) return false;
    frame.hold();
    this.#push(frame, frame.bytes.length);
    return true;
  }

  /**
   * Queues the newest frame of `log` (a broadcast). Right after another
   * frame of the log, as broadcasts usually come, it only extends the run
   * already queued. Returns false, queuing nothing, as {@linkcode send}.
   */
  sendLogged(log: FrameLog): boolean {
    const frames = log.frames;
    const index = frames.length - 1;
    const bytes = frames[index];
    if (!this.#admit(bytes.length)) return false;
    const queue = this.#queue;
    const last = queue.length > this.#head ? queue[queue.length - 1] : undefined;
    if (last instanceof FrameRun && last.frames === frames && last.end === index) {
      last.end++;
      this.#queued += bytes.length;
      return true;
    }
    this.#push(new FrameRun(frames, index), bytes.length);
    return true;
  }

  /**
   * Queues a stream of whole frames, charged what it says it holds while it
   * runs (nothing while it waits). Returns false if the peer is gone.
   */
  stream(source: StreamSource, options: StreamOptions = {}): boolean {
    if (this.#failed) return false;
    const { signal } = options;
    if (signal?.aborted) return true;
    this.#push({ bytes: EMPTY, body: source, cost: 0, signal }, 0);
    return true;
  }

  /** May a job charged `cost` be queued? Within the budget, or into an empty queue. */
  #admit(cost: number): boolean {
    if (this.#failed) return false;
    return this.#queued === 0 || this.#queued + cost <= this.#max;
  }

  #push(job: Job, cost: number): void {
    this.#queue.push(job);
    this.#queued += cost;
    this.#running ??= this.#pump();
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
        if (!isStreamJob(job)) {
          try {
            const { bytes, size } = this.#takeFrames();
            await this.#write(bytes);
            // Charged until written: a frame being written is still held.
            if (!this.#failed) this.#queued -= size;
          } finally {
            this.#releaseWritten();
          }
          continue;
        }
        this.#take(1);
        if (job.signal?.aborted) continue;
        await this.#write(job.bytes);
        const hold = (bytes: number) => {
          if (this.#failed) return;
          this.#queued += bytes - job.cost;
          job.cost = bytes;
        };
        try {
          for await (const chunk of job.body(hold)) {
            if (this.#failed) break;
            await this.#write(chunk);
          }
        } finally {
          if (!this.#failed) this.#queued -= job.cost;
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
    for (let i = this.#head; i < this.#queue.length; i++) {
      const job = this.#queue[i];
      if (job instanceof PooledFrame) job.release();
    }
    this.#queue = [];
    this.#head = 0;
    this.#queued = 0;
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

  /** Releases the pooled frames of the write that just ended (or failed). */
  #releaseWritten(): void {
    const writing = this.#writing;
    if (writing.length === 0) return;
    for (const frame of writing) frame.release();
    writing.length = 0;
  }

  /**
   * Takes the in-memory frames at the head of the queue, joined for one
   * write of at most 256 KiB (or one bigger frame). A streamed job queued
   * behind them stays queued; so does the rest of a run cut short.
   */
  #takeFrames(): { bytes: Uint8Array; size: number } {
    const queue = this.#queue;
    const first = queue[this.#head];
    if (first instanceof FrameRun) {
      // Broadcasts alone, as a fan-out's queues mostly are: no parts array,
      // and receivers at the same place share one joined batch.
      const { end, size } = runFitting(first, 0);
      const next = queue[this.#head + 1];
      if (end < first.end || next === undefined || isStreamJob(next)) {
        const bytes = joinRun(first.frames, first.start, end);
        if (end === first.end) this.#take(1);
        else first.start = end;
        return { bytes, size };
      }
    }
    const parts: Uint8Array[] = [];
    let size = 0;
    let taken = 0;
    for (let i = this.#head; i < queue.length; i++) {
      const job = queue[i];
      if (job instanceof Uint8Array || job instanceof PooledFrame) {
        const bytes = job instanceof PooledFrame ? job.bytes : job;
        if (parts.length > 0 && size + bytes.length > CHUNK_SIZE) break;
        parts.push(bytes);
        size += bytes.length;
        taken++;
        // Held until the write is over, joined into a batch or not.
        if (job instanceof PooledFrame) this.#writing.push(job);
      } else if (job instanceof FrameRun) {
        const fit = runFitting(job, parts.length === 0 ? 0 : size);
        for (let k = job.start; k < fit.end; k++) parts.push(job.frames[k]);
        size += fit.size;
        if (fit.end < job.end) {
          job.start = fit.end;
          break;
        }
        taken++;
      } else {
        break;
      }
    }
    this.#take(taken);
    // One frame, as after most single sends: nothing to join, no batch array.
    return { bytes: parts.length === 1 ? parts[0] : joinBatch(parts), size };
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

const EMPTY = new Uint8Array(0);

function isStreamJob(job: Job): job is StreamJob {
  return !(job instanceof Uint8Array || job instanceof PooledFrame || job instanceof FrameRun);
}

/**
 * How much of `run` fits in one write after `already` bytes: the end of the
 * frames taken (at least one when nothing is taken yet) and their size.
 */
function runFitting(run: FrameRun, already: number): { end: number; size: number } {
  const frames = run.frames;
  let size = 0;
  let end = run.start;
  for (; end < run.end; end++) {
    const length = frames[end].length;
    if ((already > 0 || end > run.start) && already + size + length > CHUNK_SIZE) break;
    size += length;
  }
  return { end, size };
}

/** The last run {@linkcode joinRun} joined, and the result. */
let lastRun: { frames: Uint8Array[]; start: number; end: number; joined: Uint8Array } = {
  frames: [],
  start: 0,
  end: 0,
  joined: new Uint8Array(),
};

/**
 * Frames `start` … `end - 1` of a log chunk as one array. Receivers that
 * keep up are at the same place in the log, so the next one usually wants
 * the very same frames: they are joined once and the result shared (it is
 * only ever read).
 */
function joinRun(frames: Uint8Array[], start: number, end: number): Uint8Array {
  if (end - start === 1) return frames[start];
  const last = lastRun;
  if (last.frames === frames && last.start === start && last.end === end) return last.joined;
  lastRun = { frames, start, end, joined: concatBytes(frames.slice(start, end)) };
  return lastRun.joined;
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
