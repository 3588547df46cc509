/**
 * A lean protocol-level client for load generation: the chatroom's own
 * codec and transport (`lib/protocol.ts`, `lib/transport.ts`), without the
 * terminal UI and without keeping what it receives.
 *
 * @module
 */
import { wallMs } from "./worker_io.ts";
import { decodeHeader } from "../../lib/shared/wire/decode_frame.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG, hasFlag, JOIN_OPTION } from "../../lib/shared/wire/flags.ts";
import { type FrameHeader, type FrameInit } from "../../lib/shared/wire/frame.ts";
import { FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { FrameSender, type PayloadSource } from "../../lib/shared/net/frame_sender.ts";
import { writeAll } from "../../lib/shared/net/byte_conn.ts";

/** Consumes one frame; must read or skip its whole payload. */
export type FrameHandler = (header: FrameHeader, reader: FrameReader) => Promise<void>;

/** Skips a frame's payload. */
export const skipFrame: FrameHandler = (_header, reader) => reader.skipPayload();

/**
 * Consumes one frame synchronously. `payload` is a view into the read
 * buffer, valid only during the call; `receivedMs` is the wall clock
 * ({@linkcode wallMs}) when the read that completed the frame returned.
 */
export type FrameSink = (header: FrameHeader, payload: Uint8Array, receivedMs: number) => void;

/** A joined client whose frames go to a handler, in order. */
export class BenchClient {
  readonly conn: Deno.TcpConn;
  readonly reader: FrameReader;
  readonly sender: FrameSender;
  /** Resolves when the connection ends; rejects if the handler or the reader failed. */
  readonly done: Promise<void>;

  private constructor(
    conn: Deno.TcpConn,
    reader: FrameReader,
    handler: FrameHandler | { sink: FrameSink },
  ) {
    this.conn = conn;
    this.reader = reader;
    this.sender = new FrameSender(conn, { maxQueueBytes: Number.MAX_SAFE_INTEGER });
    this.done = "sink" in handler ? this.#sinkLoop(handler.sink) : this.#loop(handler);
  }

  /**
   * Connects to 127.0.0.1:`port` (TCP_NODELAY, as the real client) and joins
   * as `username`, asking for ECHO headers as the real client does (or for
   * the JOIN_OPTION bits `options`); every frame after the JOIN_ACCEPT goes
   * to `handler`.
   */
  static async join(
    port: number,
    username: string,
    handler: FrameHandler | { sink: FrameSink } = skipFrame,
    options: number = JOIN_OPTION.ECHO,
  ): Promise<BenchClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    // A client: it keeps its chunk buffers between payloads (STREAM frames).
    const reader = new FrameReader(conn, { keepChunkBuffers: true });
    await writeAll(
      conn,
      encodeFrame({ flags: FLAG.JOIN_REQUEST, username, number: options }),
    );
    while (true) {
      const header = await reader.readHeader();
      if (!header) throw new Error(`Cannot join as ${username}: the server closed the connection`);
      const payload = await reader.readPayload(header);
      if (hasFlag(header, FLAG.JOIN_ACCEPT)) break;
      if (hasFlag(header, FLAG.JOIN_REJECT) || hasFlag(header, FLAG.ERROR)) {
        conn.close();
        throw new Error(`Cannot join as ${username}: ${new TextDecoder().decode(payload)}`);
      }
    }
    return new BenchClient(conn, reader, handler);
  }

  async #loop(handler: FrameHandler): Promise<void> {
    try {
      while (true) {
        const header = await this.reader.readHeader();
        if (!header) return;
        await handler(header, this.reader);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
        throw error;
      }
    }
  }

  /**
   * The lean receive loop of a load generator that must cost its server's
   * cores as little as possible: one read, then every whole frame in it
   * decoded and handed over synchronously, no promise per frame.
   */
  async #sinkLoop(sink: FrameSink): Promise<void> {
    try {
      // Frames the join's reader already buffered come first, through it.
      while (this.reader.buffered > 0) {
        const header = await this.reader.readHeader();
        if (!header) return;
        sink(header, await this.reader.readPayload(header), wallMs());
      }
      let buf = new Uint8Array(64 * 1024);
      let start = 0;
      let end = 0;
      while (true) {
        if (start === end) {
          start = end = 0;
        } else if (end === buf.length) {
          // A frame cut by the end of the buffer: move it to the front (as
          // FrameReader does), or grow the buffer if it alone fills it.
          if (start > 0) {
            buf.copyWithin(0, start, end);
          } else {
            const bigger = new Uint8Array(buf.length * 2);
            bigger.set(buf);
            buf = bigger;
          }
          end -= start;
          start = 0;
        }
        const n = await this.conn.read(buf.subarray(end));
        if (n === null) return;
        end += n;
        const now = wallMs();
        while (true) {
          const decoded = decodeHeader(buf.subarray(start, end));
          if (!decoded) break;
          const frameEnd = start + decoded.headerSize + decoded.header.payloadLength;
          if (frameEnd > end) break;
          sink(decoded.header, buf.subarray(start + decoded.headerSize, frameEnd), now);
          start = frameEnd;
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
        throw error;
      }
    }
  }

  /** Queues a frame (and its streamed payload). */
  send(init: FrameInit, body?: PayloadSource): void {
    this.sender.send(encodeFrame(init), body);
  }

  /** Closes the connection and waits for the read loop to end. */
  async close(): Promise<void> {
    await this.sender.flush();
    try {
      this.conn.close();
    } catch { /* already closed by the server */ }
    await this.done.catch(() => {/* reported by whoever awaited done */});
  }
}
