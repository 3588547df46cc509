/**
 * Test support: servers on free ports in temporary folders, and protocol
 * clients that wait on frames (never on fixed sleeps).
 *
 * @module
 */
import { type ChatServer, serve, type ServeOptions } from "../../lib/server/serve.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { type Frame, type FrameHeader, type FrameInit } from "../../lib/shared/wire/frame.ts";
import { FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { FrameSender } from "../../lib/shared/net/frame_sender.ts";
import { hashFile, readFileChunks } from "../../lib/shared/files/read_file.ts";
import { Logger } from "../../lib/shared/log.ts";
import { Recorder } from "./recorder.ts";

/** A server on 127.0.0.1, a free port and a fresh temporary folder, with its log kept. */
export interface TestServer extends AsyncDisposable {
  server: ChatServer;
  port: number;
  dir: string;
  downloads: string;
  log: string[];
  /** Resolves once the server has logged a line that matches `pattern` (now or later). */
  waitForLog(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts a server for one test; dispose it (`await using`) to stop and clean up. */
export async function startServer(options: ServeOptions = {}): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-test-" });
  const downloads = `${dir}/downloads`;
  const log = new Recorder<string>();
  const server = await serve({
    hostname: "127.0.0.1",
    port: 0,
    downloadsDir: downloads,
    logger: new Logger(log.push),
    ...options,
  });
  return {
    server,
    port: server.port,
    dir,
    downloads,
    log: log.items,
    waitForLog: (pattern, timeoutMs) =>
      log.some(
        (line) => typeof pattern === "string" ? line.includes(pattern) : pattern.test(line),
        `the server logged ${pattern}`,
        timeoutMs,
      ),
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A frame as a test sees it; attachments' payloads are read whole (tests use small ones). */
export type Received = Frame;

/** A protocol-level client for tests: send frames, wait for frames. */
export class TestClient implements AsyncDisposable {
  readonly conn: Deno.TcpConn;
  readonly reader: FrameReader;
  readonly sender: FrameSender;
  /** Every frame received so far, in order. */
  readonly frames: Received[] = [];
  #waiters: { match: (f: Received) => boolean; resolve: (f: Received) => void }[] = [];
  #loop: Promise<void>;
  #closed = Promise.withResolvers<void>();
  #seen = 0;
  /** Where attachment payloads are streamed instead of kept, if set. */
  attachmentSink?: (header: FrameHeader, chunks: AsyncIterable<Uint8Array>) => Promise<void>;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
    this.reader = new FrameReader(conn);
    this.sender = new FrameSender(conn);
    this.#loop = this.#read();
  }

  /** Connects to the test server. */
  static async connect(port: number): Promise<TestClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new TestClient(conn);
  }

  /**
   * Connects and joins as `username`, waiting for the join accept. `number`
   * is the JOIN_REQUEST's NUMBER: its join options (none, as older clients).
   */
  static async join(port: number, username: string, number = 0): Promise<TestClient> {
    const client = await TestClient.connect(port);
    client.send({ flags: FLAG.JOIN_REQUEST, username, number });
    const reply = await client.next((f) => (f.flags & (FLAG.JOIN_ACCEPT | FLAG.JOIN_REJECT)) !== 0);
    if (!hasFlag(reply, FLAG.JOIN_ACCEPT)) {
      throw new Error(`Join as ${username} was rejected: ${text(reply)}`);
    }
    return client;
  }

  /** Resolves when the server has closed the connection. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  async #read(): Promise<void> {
    try {
      while (true) {
        const header = await this.reader.readHeader();
        if (!header) break;
        let payload: Uint8Array = new Uint8Array(0);
        if (hasFlag(header, FLAG.ATTACHMENT) && this.attachmentSink) {
          await this.attachmentSink(header, this.reader.payloadChunks());
        } else {
          payload = await this.reader.readPayload(header, Number.MAX_SAFE_INTEGER);
        }
        const frame = { ...header, payload };
        this.frames.push(frame);
        const i = this.#waiters.findIndex((w) => w.match(frame));
        if (i >= 0) this.#waiters.splice(i, 1)[0].resolve(frame);
      }
    } catch {
      // The connection was closed under us; `closed` resolves either way.
    } finally {
      this.#closed.resolve();
    }
  }

  /** Sends a frame. */
  send(init: FrameInit, body?: () => AsyncIterable<Uint8Array>): void {
    this.sender.send(encodeFrame(init), body);
  }

  /** Sends raw bytes, e.g. garbage. */
  async sendRaw(bytes: Uint8Array): Promise<void> {
    this.sender.send(bytes);
    await this.sender.flush();
  }

  /** Sends a chat line. */
  say(text: string): void {
    this.send({ payload: text });
  }

  /** Uploads a file from disk as an attachment. */
  async upload(path: string, filename = path): Promise<void> {
    const { size, sha256 } = await hashFile(path);
    this.send(
      { flags: FLAG.ATTACHMENT, filename, sha256, payloadLength: size },
      () => readFileChunks(path),
    );
  }

  /**
   * Waits for the first frame, not yet returned by `next`, that matches.
   * Rejects after `timeoutMs` with the frames seen, so a failure says why.
   */
  next(match: (f: Received) => boolean, timeoutMs = 10_000): Promise<Received> {
    for (let i = this.#seen; i < this.frames.length; i++) {
      if (match(this.frames[i])) {
        this.#seen = i + 1;
        return Promise.resolve(this.frames[i]);
      }
    }
    const { promise, resolve, reject } = Promise.withResolvers<Received>();
    const timer = setTimeout(() => {
      this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
      reject(
        new Error(
          `No matching frame within ${timeoutMs} ms; received: ${
            this.frames.map((f) => `${f.flags}:${text(f)}`).join(" | ")
          }`,
        ),
      );
    }, timeoutMs);
    const done = (f: Received) => {
      clearTimeout(timer);
      this.#seen = this.frames.indexOf(f) + 1;
      resolve(f);
    };
    this.#waiters.push({ match, resolve: done });
    return promise;
  }

  /** Waits for a chat line or announcement whose text is `wanted`. */
  nextText(wanted: string, timeoutMs?: number): Promise<Received> {
    return this.next((f) => text(f) === wanted, timeoutMs);
  }

  /** Closes the connection and waits for the read loop to end. */
  async close(): Promise<void> {
    await this.sender.flush();
    try {
      this.conn.close();
    } catch { /* already closed */ }
    await this.#loop;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The payload of a frame as text. */
export function text(frame: { payload: Uint8Array }): string {
  return new TextDecoder().decode(frame.payload);
}

/**
 * Polls `check` every 5 ms until it holds (bounded). Only for state that
 * announces no change: `ChatServer.connections` has no event, and it drops
 * after the server's last log line for the connection (lib/ is not test
 * support's to change). Anything else, wait on its event ({@linkcode Recorder},
 * {@linkcode TestServer.waitForLog}).
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
