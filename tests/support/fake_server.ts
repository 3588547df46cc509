/**
 * Test support: a chat server that is not to be trusted. It listens on
 * 127.0.0.1 (port 0), reads the client's frames with the real reader, and
 * answers each with whatever frames (or raw bytes) the test hands it, so
 * tests can play a malicious or broken server against the real client.
 *
 * @example
 * ```ts
 * await using fake = FakeServer.start((frame, peer) => {
 *   if (hasFlag(frame, FLAG.REPORT_REQUEST)) peer.send({ flags: FLAG.REPORT_RESPONSE });
 * });
 * ```
 *
 * @module
 */
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { type Frame, type FrameInit } from "../../lib/shared/wire/frame.ts";
import { writeAll } from "../../lib/shared/net/byte_conn.ts";
import { FrameReader } from "../../lib/shared/net/frame_reader.ts";

/** The errors that mean a connection ended while it was read or written. */
const CONNECTION_ENDED = [
  Deno.errors.BadResource,
  Deno.errors.ConnectionReset,
  Deno.errors.BrokenPipe,
  Deno.errors.Interrupted,
];

/** One client connection, as the fake server's script sees it. */
export class FakePeer {
  #conn: Deno.Conn;
  #closed = false;

  /** Wraps an accepted connection. */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Sends one frame built from `init`. */
  async send(init: FrameInit): Promise<void> {
    await this.sendRaw(encodeFrame(init));
  }

  /** Sends bytes as they are (e.g. a header whose payload never follows). */
  async sendRaw(bytes: Uint8Array): Promise<void> {
    if (!this.#closed) await writeAll(this.#conn, bytes);
  }

  /** Closes the connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }
}

/** Answers one frame the client sent. */
export type FakeScript = (frame: Frame, peer: FakePeer) => void | Promise<void>;

/** A fake server running `script` on every connection. Dispose it to stop it. */
export class FakeServer implements AsyncDisposable {
  readonly port: number;
  #listener: Deno.TcpListener;
  #peers = new Set<FakePeer>();
  #tasks: Promise<void>[] = [];
  #accepting: Promise<void>;

  private constructor(script: FakeScript) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = this.#listener.addr.port;
    this.#accepting = this.#accept(script);
  }

  /** Starts listening on a free port of 127.0.0.1. */
  static start(script: FakeScript): FakeServer {
    return new FakeServer(script);
  }

  async #accept(script: FakeScript): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.#tasks.push(this.#serve(conn, script));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error; // closed by dispose
    }
  }

  async #serve(conn: Deno.Conn, script: FakeScript): Promise<void> {
    const peer = new FakePeer(conn);
    this.#peers.add(peer);
    const reader = new FrameReader(conn);
    try {
      while (true) {
        const frame = await reader.readFrame();
        if (!frame) break;
        await script(frame, peer);
      }
    } catch (error) {
      // The peer closing (or being closed) while we read or write is the end of it.
      if (!CONNECTION_ENDED.some((type) => error instanceof type)) throw error;
    } finally {
      peer.close();
      this.#peers.delete(peer);
    }
  }

  /** Stops listening, closes every connection and waits for their scripts. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const peer of this.#peers) peer.close();
    await Promise.all(this.#tasks);
  }
}
