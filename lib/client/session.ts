/**
 * One client's conversation with the server, without any user interface:
 * connect, report, join, chat, upload, quit. Frames the server pushes are
 * turned into {@linkcode RoomEvent}s, in order, for whatever UI listens.
 *
 * @module
 */
import { encodeFrame } from "../shared/wire/encode_frame.ts";
import { FLAG, hasFlag, JOIN_OPTION } from "../shared/wire/flags.ts";
import {
  type Frame,
  type FrameHeader,
  type FrameInit,
  normalizeFrame,
} from "../shared/wire/frame.ts";
import { ProtocolError } from "../shared/wire/protocol_error.ts";
import { toHex } from "../shared/wire/wire_bytes.ts";
import { type ByteConn } from "../shared/net/byte_conn.ts";
import { FrameReader } from "../shared/net/frame_reader.ts";
import { FrameSender } from "../shared/net/frame_sender.ts";
import { hashFile } from "../shared/files/read_file.ts";
import { type ReceivedFile } from "../shared/files/receive_file.ts";
import { saveAttachment, saveOwnUpload, uploadChunks } from "./attachment_streams.ts";
import { closeQuietly } from "../shared/net/conn_helpers.ts";
import { formatFrame } from "../shared/wire/trace.ts";
import { connectTcp } from "./connect.ts";
import type { AvatarImage } from "../shared/avatar.ts";
import { attachmentEvent, frameEvent, type ReportedUser, type RoomEvent } from "./room_event.ts";
import type { TransferProgress } from "./attachment_streams.ts";

// The events and progress a session reports are part of its API: callers import them from here.
export type { ReportedUser, RoomEvent } from "./room_event.ts";
export type { TransferProgress } from "./attachment_streams.ts";

/** Options for {@linkcode ChatSession}. */
export interface ChatSessionOptions {
  hostname: string;
  port: number;
  /** Folder where received attachments are saved. @default "downloads" */
  downloadsDir?: string;
  /** Receives every event, in order; awaited before the next frame is read. */
  onEvent: (event: RoomEvent) => void | Promise<void>;
  /** Receives `--trace` lines, if tracing. */
  trace?: (line: string) => void;
  /** Leading bytes of each attachment kept in memory (to print text files). @default 65536 */
  keepHead?: number;
  /** Told after every chunk of an attachment sent or received, e.g. for a progress bar. */
  onProgress?: (progress: TransferProgress) => void;
}

/** Options for {@linkcode ChatSession.upload}. */
export interface UploadOptions {
  /** The FILENAME to announce. @default the path as given */
  filename?: string;
}

/** The answer to a join request. */
export type JoinResult =
  | { accepted: true; username: string }
  | { accepted: false; code: number; text: string };

/** A connection failed or the server closed it. */
export class ConnectionError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConnectionError";
  }
}

type Waiter = { flags: number; resolve: (frame: Frame) => void; reject: (e: Error) => void };

/** Most uploads kept waiting for the server's ECHO; refused ones never get it. */
const MAX_UNCONFIRMED_UPLOADS = 64;

/** An upload waiting for the server's ECHO. */
interface SentFile {
  /** SHA-256 of what was sent, in hex. */
  sha256: string;
  /** The file it was read from. */
  path: string;
  /** Bytes sent. */
  size: number;
}

/** A client's session with the chat server. */
export class ChatSession {
  #options: ChatSessionOptions;
  #conn?: Deno.TcpConn;
  #sender?: FrameSender;
  #loop?: Promise<void>;
  #waiter: Waiter | null = null;
  #username: string | null = null;
  #quitting = false;
  #historyLeft = 0;
  /**
   * Files this session uploaded and the server has not yet confirmed, oldest
   * first. The server confirms each with an ECHO frame (we ask for that when
   * joining), and the room's copy is then taken from the file here instead of
   * being sent back. A refused upload stays here until a later ECHO with the
   * same SHA-256 tries it and passes over it, or the connection ends.
   */
  #uploads: SentFile[] = [];

  /** Creates a session; nothing is connected until an action needs it. */
  constructor(options: ChatSessionOptions) {
    this.#options = options;
  }

  /** The username while in the room, else `null`. */
  get username(): string | null {
    return this.#username;
  }

  /** The local port of the connection (what the server's report shows), while connected. */
  get localPort(): number | undefined {
    return this.#conn?.localAddr.port;
  }

  /** True while connected. */
  get connected(): boolean {
    return this.#conn !== undefined;
  }

  async #connect(): Promise<void> {
    if (this.#conn) return;
    const conn = await connectTcp(this.#options.hostname, this.#options.port);
    this.#conn = conn;
    this.#sender = new FrameSender(conn, { onError: () => this.close() });
    const reader = new FrameReader(conn as ByteConn, { stallTimeoutMs: 60_000 });
    this.#loop = this.#readLoop(conn, reader);
  }

  /** Asks for the list of active users. */
  async report(): Promise<{ count: number; users: ReportedUser[] }> {
    const frame = await this.#request({ flags: FLAG.REPORT_REQUEST }, FLAG.REPORT_RESPONSE);
    const text = new TextDecoder().decode(frame.payload);
    const users = text.split("\n").filter(Boolean).map((line) => {
      const [username, hostname, port] = line.split("\t");
      return { username, hostname, port: Number(port) };
    });
    return { count: frame.number, users };
  }

  /**
   * Asks to join as `username`, with an optional avatar image (sent as the
   * request's PAYLOAD and FILENAME). On acceptance the history and then live
   * events follow through `onEvent`, starting with a `joined` event.
   */
  async join(username: string, avatar?: AvatarImage): Promise<JoinResult> {
    const frame = await this.#request(
      {
        flags: FLAG.JOIN_REQUEST,
        username,
        // Servers that predate join options ignore NUMBER and send our files back in full.
        number: JOIN_OPTION.ECHO,
        filename: avatar?.filename,
        payload: avatar?.bytes,
      },
      FLAG.JOIN_ACCEPT | FLAG.JOIN_REJECT,
    );
    if (hasFlag(frame, FLAG.JOIN_ACCEPT)) return { accepted: true, username: frame.username };
    return { accepted: false, code: frame.code, text: new TextDecoder().decode(frame.payload) };
  }

  /** Sends a chat line. */
  say(text: string): void {
    this.#send({ payload: text });
  }

  /**
   * Uploads the file at `path`: hashed once, then streamed. Resolves when the
   * upload is queued; the room's copy arrives later as an `attachment` event.
   */
  async upload(path: string, options: UploadOptions = {}): Promise<{ size: number; name: string }> {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new Error(`Cannot send ${path}: it is not a file`);
    const { size, sha256 } = await hashFile(path);
    const filename = options.filename ?? path;
    const name = filename.split(/[\\/]/).pop() || filename;
    this.#send(
      { flags: FLAG.ATTACHMENT, filename, sha256, payloadLength: size },
      () => uploadChunks(path, { filename, size, onProgress: this.#options.onProgress }),
    );
    this.#uploads.push({ sha256: toHex(sha256), path, size });
    // Refused uploads are never confirmed: keep the newest few, not all.
    if (this.#uploads.length > MAX_UNCONFIRMED_UPLOADS) this.#uploads.shift();
    return { size, name };
  }

  /** Leaves the room; resolves once the server confirmed and the connection is closed. */
  async quit(): Promise<void> {
    if (!this.#conn || this.#username === null) return this.close();
    this.#quitting = true;
    const done = Promise.withResolvers<Frame>();
    this.#waiter = { flags: FLAG.QUIT_ACCEPT, ...done };
    this.#send({ flags: FLAG.QUIT_REQUEST });
    const timer = setTimeout(() => done.resolve({} as Frame), 5000);
    try {
      await done.promise.catch(() => {/* the connection closed: we are out either way */});
    } finally {
      clearTimeout(timer);
      await this.close();
    }
  }

  /** Closes the connection (without a quit request). */
  async close(): Promise<void> {
    const conn = this.#conn;
    if (!conn) return;
    this.#conn = undefined;
    this.#username = null;
    await this.#sender?.flush();
    closeQuietly(conn);
    await this.#loop;
  }

  async #request(init: FrameInit, expect: number): Promise<Frame> {
    await this.#connect();
    if (this.#waiter) throw new Error("Cannot send a request while another is pending");
    const { promise, resolve, reject } = Promise.withResolvers<Frame>();
    this.#waiter = { flags: expect, resolve, reject };
    this.#send(init);
    return await promise;
  }

  #send(init: FrameInit, body?: () => AsyncIterable<Uint8Array>): void {
    if (!this.#sender) throw new ConnectionError("Cannot send: not connected to the server");
    if (this.#options.trace) {
      const { header, payload } = normalizeFrame(init);
      this.#options.trace(formatFrame("send", header, payload));
    }
    this.#sender.send(encodeFrame(init), body);
  }

  async #readLoop(conn: Deno.TcpConn, reader: FrameReader): Promise<void> {
    let reason = "The server closed the connection.";
    try {
      while (true) {
        const header = await reader.readHeader();
        if (!header) break;
        await this.#handle(reader, header);
      }
    } catch (error) {
      if (error instanceof ProtocolError) {
        reason = `The server sent something this client cannot read: ${error.message}`;
      } else if (error instanceof Error && this.#conn === conn) {
        reason = `The connection to the server was lost: ${error.message}`;
      }
    }
    const wasOurs = this.#conn === conn;
    if (wasOurs) {
      this.#conn = undefined;
      closeQuietly(conn);
    }
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.reject(new ConnectionError(reason));
    const wasInRoom = this.#username !== null || this.#quitting;
    this.#username = null;
    this.#uploads = []; // an ECHO can only come on the connection that sent the file
    if (wasOurs && wasInRoom && !this.#quitting) {
      await this.#options.onEvent({ type: "disconnected", reason });
    }
    this.#quitting = false;
  }

  async #handle(reader: FrameReader, header: FrameHeader): Promise<void> {
    const history = hasFlag(header, FLAG.HISTORY);
    if (hasFlag(header, FLAG.ATTACHMENT)) {
      this.#options.trace?.(formatFrame("recv", header));
      if (hasFlag(header, FLAG.ECHO)) {
        const { file, size } = await this.#keepOwnUpload(reader, header);
        await this.#options.onEvent(attachmentEvent(header, file, size));
        return;
      }
      if (!hasFlag(header, FLAG.HISTORY) && header.sender === this.#username) {
        // Our own file, sent back in full by a server that predates ECHO.
        this.#takeUpload(toHex(header.sha256));
      }
      const file = await this.#saveAttachment(reader, header);
      await this.#options.onEvent(attachmentEvent(header, file));
      return;
    }
    const payload = await reader.readPayload(header, 16 * 1024 * 1024);
    this.#options.trace?.(formatFrame("recv", header, payload));
    const frame: Frame = { ...header, payload };
    const waiter = this.#waiter;
    if (waiter && (header.flags & waiter.flags) !== 0 && !history) {
      if (hasFlag(header, FLAG.QUIT_ACCEPT) && header.username !== this.#username) {
        // Someone else left while we were quitting: still show it.
      } else {
        this.#waiter = null;
        if (hasFlag(header, FLAG.JOIN_ACCEPT)) {
          this.#username = header.username;
          await this.#options.onEvent({
            type: "joined",
            username: header.username,
            historyCount: header.number,
          });
          if (header.number === 0) await this.#options.onEvent({ type: "history-end" });
          this.#historyLeft = header.number;
        }
        if (hasFlag(header, FLAG.QUIT_ACCEPT)) {
          this.#username = null;
          await this.#options.onEvent({ type: "left" });
        }
        waiter.resolve(frame);
        return;
      }
    }
    if (hasFlag(header, FLAG.ERROR) && waiter && !this.#username) {
      this.#waiter = null;
      waiter.reject(new ConnectionError(new TextDecoder().decode(payload)));
      return;
    }
    await this.#options.onEvent(frameEvent(header, payload));
    if (history) await this.#countHistory();
  }

  async #countHistory(): Promise<void> {
    if (this.#historyLeft > 0 && --this.#historyLeft === 0) {
      await this.#options.onEvent({ type: "history-end" });
    }
  }

  /**
   * The server confirmed one of our uploads: the room's copy is the file we
   * sent. The oldest upload with that SHA-256 whose file still matches it is
   * the one; those before it that no longer match (refused uploads whose file
   * changed since) are dropped.
   */
  async #keepOwnUpload(
    reader: FrameReader,
    header: FrameHeader,
  ): Promise<{ file: ReceivedFile | { error: string }; size?: number }> {
    await reader.skipPayload(); // there should be none
    const sha256 = toHex(header.sha256);
    let last: { file: { error: string }; size?: number } = {
      file: { error: `the server confirmed ${header.filename}, which this session did not send` },
    };
    for (let sent = this.#takeUpload(sha256); sent; sent = this.#takeUpload(sha256)) {
      const file = await saveOwnUpload(sent.path, sent.size, header, {
        downloadsDir: this.#options.downloadsDir ?? "downloads",
        keepHead: this.#options.keepHead ?? 64 * 1024,
      });
      if (!("error" in file)) return { file, size: sent.size };
      last = { file, size: sent.size };
    }
    return last;
  }

  /** Removes and returns the oldest unconfirmed upload with this SHA-256 (hex). */
  #takeUpload(sha256: string): SentFile | undefined {
    const i = this.#uploads.findIndex((sent) => sent.sha256 === sha256);
    return i < 0 ? undefined : this.#uploads.splice(i, 1)[0];
  }

  async #saveAttachment(
    reader: FrameReader,
    header: FrameHeader,
  ): Promise<ReceivedFile | { error: string }> {
    try {
      return await saveAttachment(reader, header, {
        downloadsDir: this.#options.downloadsDir ?? "downloads",
        keepHead: this.#options.keepHead ?? 64 * 1024,
        onProgress: this.#options.onProgress,
      });
    } finally {
      if (hasFlag(header, FLAG.HISTORY)) await this.#countHistory();
    }
  }
}
