/**
 * The only code that touches a connection: read frames, write frames, stream
 * payloads. A thin layer over the pure codec in `protocol.ts`.
 *
 * @module
 */
import {
  checkPayloadLimit,
  CODE,
  decodeHeader,
  type Frame,
  type FrameHeader,
  MAX_HEADER_SIZE,
  MAX_MESSAGE_PAYLOAD,
  ProtocolError,
} from "../wire/protocol.ts";
import { BufferRing, concatBytes } from "../wire/bytes.ts";
import { MAX_TIMER_DELAY_MS, type StallMonitor, stallMonitorFor } from "./stall_monitor.ts";

/** The part of `Deno.Conn` the transport needs, so tests can pass fakes. */
export interface ByteConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

/** Size of the reads the transport issues and of the chunks it streams. */
export const CHUNK_SIZE = 256 * 1024;

/**
 * How many further chunks a consumer of a chunk stream ({@linkcode FrameReader.payloadChunks},
 * `readFileChunks`) may request while still using a chunk it was given:
 * 1, so a consumer can write one chunk to disk while it receives the next.
 */
export const CHUNK_VALID_FOR = 1;

/**
 * The read buffer a {@linkcode FrameReader} starts with. Small, because a
 * connection that waits holds its buffer in a pending read the whole time:
 * with thousands of idle users this is most of the server's memory.
 */
const INITIAL_READ_BUFFER = 4 * 1024;

/** The read buffer grows (by doubling) up to this size while reads keep filling it. */
const BUSY_READ_BUFFER = 64 * 1024;

/**
 * Payloads with at least this many bytes left, and none buffered, are read
 * straight into the chunks {@linkcode FrameReader.payloadChunks} yields.
 */
const DIRECT_READ_MIN = 64 * 1024;

/** Writes every byte of `bytes`, looping over short writes. */
export async function writeAll(conn: ByteConn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    at += await conn.write(bytes.subarray(at));
  }
}

/** Options for {@linkcode FrameReader}. */
export interface FrameReaderOptions {
  /**
   * Milliseconds a frame may stall half-received before the reader gives up
   * with a `TIMEOUT` error. Waiting *between* frames is never timed.
   * @default 30000
   */
  stallTimeoutMs?: number;
}

/**
 * Reads frames from a connection.
 *
 * Call {@linkcode readHeader} for the next header, then consume its payload
 * with {@linkcode readPayload}, {@linkcode payloadChunks} or
 * {@linkcode skipPayload} before reading the next header.
 */
export class FrameReader {
  #conn: ByteConn;
  #buf = new Uint8Array(INITIAL_READ_BUFFER);
  #start = 0;
  #end = 0;
  /** True if the last read filled all the space it was given. */
  #filled = false;
  #stallMs: number;
  #pending = 0;

  /** Wraps a connection. */
  constructor(conn: ByteConn, options: FrameReaderOptions = {}) {
    this.#conn = conn;
    this.#stallMs = options.stallTimeoutMs ?? 30_000;
  }

  /** Bytes buffered but not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  async #fill(midFrame: boolean): Promise<number | null> {
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      if (this.#filled && this.#buf.length < BUSY_READ_BUFFER) {
        // The stream is busy: read more of it at a time (nothing to copy).
        this.#buf = new Uint8Array(this.#buf.length * 2);
      }
    }
    if (this.#end === this.#buf.length) {
      const size = this.#end - this.#start;
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf.subarray(0, size));
        this.#buf = bigger;
      }
      this.#start = 0;
      this.#end = size;
    }
    const space = this.#buf.length - this.#end;
    const read = this.#conn.read(this.#buf.subarray(this.#end));
    const n = midFrame ? await this.#withStallTimer(read) : await read;
    if (n !== null) this.#end += n;
    this.#filled = n === space;
    return n;
  }

  async #withStallTimer<T>(p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new ProtocolError(
            CODE.TIMEOUT,
            `Cannot read frame: the peer sent nothing for ${this.#stallMs} ms in the middle of a frame`,
          ),
        );
      }, Math.min(this.#stallMs, MAX_TIMER_DELAY_MS));
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Reads the next frame header. Returns `null` on a clean end of stream
   * (between frames); throws {@linkcode ProtocolError} on garbage or on a
   * stream that ends mid-header.
   */
  async readHeader(): Promise<FrameHeader | null> {
    if (this.#pending !== 0) {
      throw new Error(
        `Cannot read the next header: ${this.#pending} payload bytes of the previous frame are unread`,
      );
    }
    while (true) {
      const decoded = decodeHeader(this.#buf.subarray(this.#start, this.#end));
      if (decoded) {
        this.#start += decoded.headerSize;
        this.#pending = decoded.header.payloadLength;
        return decoded.header;
      }
      if (this.#end - this.#start >= MAX_HEADER_SIZE) {
        throw new ProtocolError(CODE.BAD_HEADER, "Cannot decode frame: header too long");
      }
      const midFrame = this.#end > this.#start;
      const n = await this.#fill(midFrame);
      if (n === null) {
        if (!midFrame) return null;
        throw new ProtocolError(
          CODE.TRUNCATED,
          `Cannot read frame: the stream ended after ${this.#end - this.#start} bytes of a header`,
        );
      }
    }
  }

  /**
   * Reads the whole payload of the current frame; it must not exceed `max`
   * bytes. The result has a buffer of its own: callers keep some (avatars),
   * and a view of a shared slab kept would keep the whole slab.
   */
  async readPayload(header: FrameHeader, max = MAX_MESSAGE_PAYLOAD): Promise<Uint8Array> {
    checkPayloadLimit(header, max);
    if (this.#end - this.#start >= this.#pending) {
      // Already buffered, as chat lines usually are: no stream to set up.
      const out = this.#buf.slice(this.#start, this.#start + this.#pending);
      this.#start += this.#pending;
      this.#pending = 0;
      return out;
    }
    // Grown as the bytes arrive, never allocated up front for what the header
    // announces: a peer that announces 1 MiB and trickles a few bytes (on
    // every connection it may open) holds at most 64 KiB, not megabytes.
    const total = this.#pending;
    let out = new Uint8Array(Math.min(total, BUSY_READ_BUFFER));
    let at = 0;
    while (this.#pending > 0) {
      if (this.#end === this.#start) await this.#fillPayload();
      const take = Math.min(this.#pending, this.#end - this.#start);
      if (at + take > out.length) {
        const bigger = new Uint8Array(Math.min(total, Math.max(out.length * 2, at + take)));
        bigger.set(out.subarray(0, at));
        out = bigger;
      }
      out.set(this.#buf.subarray(this.#start, this.#start + take), at);
      at += take;
      this.#start += take;
      this.#pending -= take;
    }
    return out;
  }

  /**
   * Streams the rest of the current frame's payload in chunks of at most
   * {@linkcode CHUNK_SIZE} bytes; large payloads come in whole chunks.
   * Buffers are reused, so memory stays flat however large the payload: a
   * chunk stays valid until the caller has requested
   * {@linkcode CHUNK_VALID_FOR} more (copy what you keep longer).
   */
  async *payloadChunks(): AsyncGenerator<Uint8Array> {
    // The ring lives as long as this payload: an idle connection holds none.
    const ring = new BufferRing(CHUNK_VALID_FOR + 1, CHUNK_SIZE);
    while (this.#pending > 0) {
      if (this.#end === this.#start && this.#pending >= DIRECT_READ_MIN) {
        yield await this.#readDirect(ring.next(), Math.min(this.#pending, CHUNK_SIZE));
        continue;
      }
      if (this.#end === this.#start) await this.#fillPayload();
      const take = Math.min(this.#pending, this.#end - this.#start, CHUNK_SIZE);
      const chunk = ring.next().subarray(0, take);
      chunk.set(this.#buf.subarray(this.#start, this.#start + take));
      this.#start += take;
      this.#pending -= take;
      yield chunk;
    }
  }

  /**
   * Reads the next `size` payload bytes straight into `buf`, with no
   * copy through the buffer and in as few chunks as the caller sees: for
   * attachments, which would otherwise be copied once more and handed on
   * (hashed, written to disk) in many small pieces.
   */
  async #readDirect(buf: Uint8Array, size: number): Promise<Uint8Array> {
    const chunk = buf.subarray(0, size);
    let at = 0;
    while (at < size) {
      const n = await this.#withStallTimer(this.#conn.read(chunk.subarray(at)));
      if (n === null) throw truncatedPayload(this.#pending - at);
      at += n;
    }
    this.#pending -= size;
    return chunk;
  }

  /** Reads more of the current payload into the buffer; a stream that ends here is cut short. */
  async #fillPayload(): Promise<void> {
    if (await this.#fill(true) === null) throw truncatedPayload(this.#pending);
  }

  /** Reads and discards the rest of the current payload. */
  async skipPayload(): Promise<void> {
    for await (const _ of this.payloadChunks()) { /* discard */ }
  }

  /** Reads a whole frame whose payload is at most `max` bytes. */
  async readFrame(max = MAX_MESSAGE_PAYLOAD): Promise<Frame | null> {
    const header = await this.readHeader();
    if (!header) return null;
    return { ...header, payload: await this.readPayload(header, max) };
  }
}

/** The error for a stream that ended `missing` bytes short of its frame's payload. */
function truncatedPayload(missing: number): ProtocolError {
  return new ProtocolError(
    CODE.TRUNCATED,
    `Cannot read payload: the stream ended with ${missing} bytes missing`,
  );
}

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

/** A connection that can be half-closed, as `Deno.TcpConn` can. */
export interface HalfClosable extends ByteConn {
  /** Sends FIN: no more writes, reads still possible. */
  closeWrite(): Promise<void>;
}

/** Options for {@linkcode closeGracefully}. */
export interface CloseGracefullyOptions {
  /** Longest wait for the peer to close its side. @default 1000 */
  timeoutMs?: number;
  /** Most bytes read and thrown away meanwhile. @default 65536 */
  maxBytes?: number;
}

/**
 * Closes a connection so that what was last written (say, an ERROR frame)
 * reaches the peer: sends FIN, then reads and discards what the peer still
 * sends until it closes too, for a bounded time and number of bytes.
 * Closing a socket with unread input instead sends a TCP reset, and the peer
 * may lose the frame before reading it. Never throws.
 */
export async function closeGracefully(
  conn: HalfClosable,
  options: CloseGracefullyOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<null>((resolve) =>
    timer = setTimeout(() => resolve(null), timeoutMs)
  );
  try {
    await conn.closeWrite();
    const buf = new Uint8Array(16 * 1024);
    for (let drained = 0; drained < maxBytes;) {
      const n = await Promise.race([conn.read(buf), expired]);
      if (n === null) break;
      drained += n;
    }
  } catch (_) {
    // The peer reset or the socket is already closed: nothing left to wait for.
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch (_) {
      // Already closed.
    }
  }
}
