/**
 * Reads frames from a connection: headers decoded as their bytes arrive,
 * payloads read whole (capped), streamed in chunks, or skipped.
 *
 * @module
 */
import { checkPayloadLimit, type DecodedHeader, decodeHeader } from "../wire/decode_frame.ts";
import { CODE, ProtocolError } from "../wire/protocol_error.ts";
import type { Frame, FrameHeader } from "../wire/frame.ts";
import { MAX_HEADER_SIZE, MAX_MESSAGE_PAYLOAD } from "../wire/layout.ts";
import { BufferRing } from "../wire/bytes.ts";
import { MAX_TIMER_DELAY_MS } from "./stall_monitor.ts";
import { type ByteConn, CHUNK_SIZE, CHUNK_VALID_FOR } from "./byte_conn.ts";
import { ReadBudget, type ReadBudgetOptions } from "./read_budget.ts";

/**
 * The read buffer a {@linkcode FrameReader} starts with, and goes back to
 * between frames once the stream is quiet. Small, because a connection
 * that waits holds its buffer in a pending read the whole time: with
 * thousands of idle users the buffers were most of the server's memory
 * (4 KiB each). A chat line's frame fits; bigger frames and busy streams
 * grow it.
 */
export const IDLE_READ_BUFFER = 512;

/** The read buffer grows (by doubling) up to this size while reads keep filling it. */
export const BUSY_READ_BUFFER = 64 * 1024;

/**
 * Payloads with at least this many bytes left, and none buffered, are read
 * straight into the chunks {@linkcode FrameReader.payloadChunks} yields.
 */
const DIRECT_READ_MIN = 64 * 1024;

/**
 * Options for {@linkcode FrameReader}: how long a peer may take
 * ({@linkcode ReadBudget}). Waiting *between* frames is never timed, unless
 * {@linkcode FrameReader.setDeadline} says so; inside a frame, a peer that
 * sends nothing for `stallTimeoutMs`, takes longer than that for a whole
 * header, or sends a payload slower than `minBytesPerSecond` is given up
 * on with a `TIMEOUT` error.
 */
export type FrameReaderOptions = ReadBudgetOptions & {
  /**
   * Keep the buffers {@linkcode FrameReader.payloadChunks} streams into from
   * one payload to the next, instead of new ones per payload: for a client
   * that receives an attachment as many STREAM frames (a fresh 256 KiB
   * buffer per frame costs page faults and garbage). A server, with
   * thousands of connections that mostly wait, leaves it off.
   * @default false
   */
  keepChunkBuffers?: boolean;
};

/** What {@linkcode FrameReader} waits for when it reads. */
type Phase = "idle" | "header" | "payload";

/** A read that {@linkcode ReadBudget.check} must look at again. */
const CHECK_AGAIN = Symbol("check again");

/**
 * Reads frames from a connection.
 *
 * Call {@linkcode readHeader} for the next header, then consume its payload
 * with {@linkcode readPayload}, {@linkcode payloadChunks} or
 * {@linkcode skipPayload} before reading the next header.
 */
export class FrameReader {
  #conn: ByteConn;
  #buf = new Uint8Array(IDLE_READ_BUFFER);
  #start = 0;
  #end = 0;
  /** True if the last read filled all the space it was given. */
  #filled = false;
  /** The room the read under way was given. */
  #room = 0;
  #budget: ReadBudget;
  #pending = 0;
  /** The chunk buffers, kept between payloads when `keepChunkBuffers` asked for it. */
  #ring?: BufferRing;
  #keepRing: boolean;

  /** Wraps a connection. */
  constructor(conn: ByteConn, options: FrameReaderOptions = {}) {
    this.#conn = conn;
    this.#budget = new ReadBudget(options);
    this.#keepRing = options.keepChunkBuffers ?? false;
  }

  /**
   * From `at` (a `Date.now()` time) on, reads fail with a `TIMEOUT`
   * {@linkcode ProtocolError} saying `why`, even between frames (e.g. a
   * peer that must join in time); `undefined` lifts it.
   */
  setDeadline(at: number | undefined, why?: string): void {
    this.#budget.setDeadline(at, why);
  }

  /** Bytes buffered but not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * Bytes of the current payload not yet received: after a payload broke
   * off, the header's length minus this is how much did arrive.
   */
  get payloadLeft(): number {
    return this.#pending;
  }

  /** Size of the read buffer now, in bytes. */
  get capacity(): number {
    return this.#buf.length;
  }

  /** One read into the buffer. */
  async #fill(phase: Phase): Promise<number | null> {
    return this.#landed(await this.#read(this.#space(phase), phase));
  }

  /**
   * Makes room at the end of the buffer for a read, and returns that room.
   * An empty buffer grows if the last read filled it (the stream is busy),
   * and goes back to {@linkcode IDLE_READ_BUFFER} between frames if it did
   * not (the stream is quiet: a long wait may follow).
   */
  #space(phase: Phase): Uint8Array {
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      if (this.#filled && this.#buf.length < BUSY_READ_BUFFER) {
        // The stream is busy: read more of it at a time (nothing to copy).
        this.#buf = new Uint8Array(this.#buf.length * 2);
      } else if (!this.#filled && phase === "idle" && this.#buf.length > IDLE_READ_BUFFER) {
        this.#buf = new Uint8Array(IDLE_READ_BUFFER);
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
    this.#room = this.#buf.length - this.#end;
    return this.#buf.subarray(this.#end);
  }

  /** Counts what a read into {@linkcode #space} returned; returns it. */
  #landed(n: number | null): number | null {
    if (n !== null) this.#end += n;
    this.#filled = n === this.#room;
    return n;
  }

  /**
   * One read from the connection within the budget: the read is raced with
   * a timer until it returns or a rule is broken (the read is then left
   * behind; the connection is being closed). Waiting between frames with no
   * deadline is the connection's read itself, with nothing around it: an
   * idle connection holds as few objects as can be.
   */
  #read(into: Uint8Array, phase: Phase): Promise<number | null> {
    if (phase === "idle") this.#budget.idle();
    const wait = this.#budget.check(Date.now());
    const read = this.#conn.read(into);
    // Idle, nothing is timed and no progress counts: only a deadline applies.
    if (phase === "idle" && wait === Infinity) return read;
    return this.#timed(read, wait);
  }

  async #timed(read: Promise<number | null>, wait: number): Promise<number | null> {
    while (true) {
      const n = wait === Infinity ? await read : await this.#within(read, wait);
      if (n !== CHECK_AGAIN) {
        if (n !== null) this.#budget.progress(Date.now(), n);
        return n;
      }
      wait = this.#budget.check(Date.now());
    }
  }

  async #within<T>(p: Promise<T>, ms: number): Promise<T | typeof CHECK_AGAIN> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<typeof CHECK_AGAIN>((resolve) => {
      timer = setTimeout(() => resolve(CHECK_AGAIN), Math.min(ms, MAX_TIMER_DELAY_MS));
    });
    try {
      return await Promise.race([p, expired]);
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
    this.#checkPayloadRead();
    let started = false;
    while (true) {
      const decoded = decodeHeader(this.#buf.subarray(this.#start, this.#end));
      if (decoded) return this.#took(decoded);
      if (this.#end - this.#start >= MAX_HEADER_SIZE) {
        throw new ProtocolError(CODE.BAD_HEADER, "Cannot decode frame: header too long");
      }
      const midFrame = this.#end > this.#start;
      if (midFrame && !started) {
        // The whole header must come within the stall time, however it trickles.
        this.#budget.startHeader(Date.now(), this.buffered);
        started = true;
      }
      // #fill inlined: a connection waiting here holds one async frame less.
      const phase = midFrame ? "header" : "idle";
      const n = this.#landed(await this.#read(this.#space(phase), phase));
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
   * The next frame's header if the buffer holds all of it, consumed as
   * {@linkcode readHeader} would; `undefined`, consuming nothing, if not
   * (call {@linkcode readHeader}). Throws as it does on garbage. With
   * {@linkcode payloadNow}, a reader of many small frames (a joiner's
   * history) takes what one read brought without an `await` per frame.
   */
  headerNow(): FrameHeader | undefined {
    this.#checkPayloadRead();
    const decoded = decodeHeader(this.#buf.subarray(this.#start, this.#end));
    return decoded ? this.#took(decoded) : undefined;
  }

  /** Throws if the previous frame's payload is not all consumed: the next header cannot be read yet. */
  #checkPayloadRead(): void {
    if (this.#pending !== 0) {
      throw new Error(
        `Cannot read the next header: ${this.#pending} payload bytes of the previous frame are unread`,
      );
    }
  }

  /** Consumes a decoded header; its payload is timed only if it is not all here. */
  #took(decoded: DecodedHeader): FrameHeader {
    this.#start += decoded.headerSize;
    this.#pending = decoded.header.payloadLength;
    if (this.#pending > this.#end - this.#start) {
      this.#budget.startPayload(Date.now(), this.#end - this.#start);
    }
    return decoded.header;
  }

  /**
   * The current frame's whole payload if the buffer holds all of it (at
   * most `max` bytes; more throws as in {@linkcode readPayload}), or
   * `undefined`, consuming nothing. The result is a view of the read
   * buffer, valid only until the reader is used again: decode it at once,
   * or copy what is kept.
   */
  payloadNow(header: FrameHeader, max = MAX_MESSAGE_PAYLOAD): Uint8Array | undefined {
    checkPayloadLimit(header, max);
    if (this.#end - this.#start < this.#pending) return undefined;
    const view = this.#buf.subarray(this.#start, this.#start + this.#pending);
    this.#start += this.#pending;
    this.#pending = 0;
    return view;
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
   * Reads the whole payload of the current frame (at most `max` bytes) into
   * a buffer of its own, allocated at its full size up front: what is
   * buffered is copied, the rest read straight from the connection into it.
   * For payloads whose cap is small enough to allocate at once (a STREAM
   * frame's, 256 KiB, from the one server a client trusts that far), where
   * {@linkcode readPayload} — built for peers that may announce much and
   * trickle little — reads through the 64 KiB buffer and grows its result.
   */
  async readWholePayload(header: FrameHeader, max: number): Promise<Uint8Array> {
    checkPayloadLimit(header, max);
    const out = new Uint8Array(this.#pending);
    const buffered = Math.min(this.#pending, this.#end - this.#start);
    out.set(this.#buf.subarray(this.#start, this.#start + buffered));
    this.#start += buffered;
    this.#pending -= buffered;
    if (this.#pending > 0) await this.#readDirect(out.subarray(buffered), this.#pending);
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
    // The ring lives as long as this payload (an idle connection holds none),
    // unless the reader keeps it; its turns go on across payloads, so a chunk
    // stays valid for CHUNK_VALID_FOR more requests either way.
    const ring = this.#ring ?? new BufferRing(CHUNK_VALID_FOR + 1, CHUNK_SIZE);
    if (this.#keepRing) this.#ring = ring;
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
      const n = await this.#read(chunk.subarray(at), "payload");
      if (n === null) throw truncatedPayload(this.#pending);
      at += n;
      this.#pending -= n;
    }
    return chunk;
  }

  /** Reads more of the current payload into the buffer; a stream that ends here is cut short. */
  async #fillPayload(): Promise<void> {
    if (await this.#fill("payload") === null) throw truncatedPayload(this.#pending);
  }

  /**
   * Reads and discards the rest of the current payload, through the read
   * buffer: a refused attachment, however large, costs no memory of its own.
   */
  async skipPayload(): Promise<void> {
    while (this.#pending > 0) {
      if (this.#end === this.#start) await this.#fillPayload();
      const take = Math.min(this.#pending, this.#end - this.#start);
      this.#start += take;
      this.#pending -= take;
    }
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
