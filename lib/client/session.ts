/**
 * One client's conversation with the server, without any user interface:
 * connect, report, join, chat, upload, quit. Frames the server pushes are
 * turned into {@linkcode RoomEvent}s, in order, for whatever UI listens.
 *
 * @module
 */
import { encodeFrame } from "../shared/wire/encode_frame.ts";
import { FLAG, hasFlag, JOIN_OPTION } from "../shared/wire/flags.ts";
import { MAX_NAME_BYTES } from "../shared/wire/layout.ts";
import {
  type Frame,
  type FrameHeader,
  type FrameInit,
  normalizeFrame,
} from "../shared/wire/frame.ts";
import { ProtocolError } from "../shared/wire/protocol_error.ts";
import { toHex, utf8Length } from "../shared/wire/wire_bytes.ts";
import { formatFrame } from "../shared/wire/trace.ts";
import { type ByteConn } from "../shared/net/byte_conn.ts";
import { FrameReader } from "../shared/net/frame_reader.ts";
import { FrameSender } from "../shared/net/frame_sender.ts";
import { closeQuietly } from "../shared/net/conn_helpers.ts";
import { hashFile } from "../shared/files/read_file.ts";
import { decodeText } from "../shared/text.ts";
import type { AvatarImage } from "../shared/avatar.ts";
import { type TransferProgress, uploadChunks } from "./attachment_streams.ts";
import { connectTcp } from "./connect.ts";
import { ConnectionError, RequestError } from "./connection_error.ts";
import { DEFAULT_MAX_DOWNLOAD, type FreeSpace } from "./download_limit.ts";
import { PendingRequest } from "./pending_request.ts";
import { receiveAttachment } from "./receive_attachment.ts";
import { isStreamFrame, StreamTransfers } from "./stream_transfers.ts";
import { StreamViolation } from "./stream_violation.ts";
import { frameEvent, type ReportedUser, reportedUsers, type RoomEvent } from "./room_event.ts";
import { UploadLedger } from "./upload_ledger.ts";

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
  /** Largest attachment saved, in bytes; bigger ones are skipped. @default 1073741824 (1 GiB) */
  maxDownload?: number;
  /** Tells the free bytes in the downloads folder, if it can. @default none: not checked */
  freeSpace?: FreeSpace;
  /**
   * Milliseconds a join or report request made before joining may wait for
   * its answer; past it the request fails with a {@linkcode ConnectionError}
   * and the connection is closed (the next request connects again). A
   * request made in the room waits as long as it takes: its answer may be
   * behind our own upload, or the server's rate limit.
   * @default 30000 ({@linkcode ANSWER_TIMEOUT_MS})
   */
  answerTimeoutMs?: number;
}

/** The default of {@linkcode ChatSessionOptions.answerTimeoutMs}: 30 s. */
export const ANSWER_TIMEOUT_MS = 30_000;

/** Options for {@linkcode ChatSession.upload}. */
export interface UploadOptions {
  /** The FILENAME to announce. @default the path as given */
  filename?: string;
}

/** The answer to a join request. */
export type JoinResult =
  | { accepted: true; username: string }
  | { accepted: false; code: number; text: string };

/** A frame ready to send, and what it was made from (for `--trace`). */
interface EncodedFrame {
  init: FrameInit;
  bytes: Uint8Array;
}

/** Largest payload of a frame that is not part of a file (the one server a client trusts this far). */
const MAX_PUSHED_PAYLOAD = 16 * 1024 * 1024;

/** How long {@linkcode ChatSession.quit} waits for the server's QUIT_ACCEPT. */
const QUIT_TIMEOUT_MS = 5000;

/** A client's session with the chat server. */
export class ChatSession {
  #options: ChatSessionOptions;
  #conn?: Deno.TcpConn;
  #sender?: FrameSender;
  #loop?: Promise<void>;
  #request = new PendingRequest();
  #username: string | null = null;
  #quitting = false;
  #historyLeft = 0;
  #uploads = new UploadLedger();
  /** The transfers open on the current connection (a new set for each). */
  #streams?: StreamTransfers;

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
    const streams = new StreamTransfers({
      downloadsDir: this.#options.downloadsDir ?? "downloads",
      keepHead: this.#options.keepHead ?? 64 * 1024,
      maxBytes: this.#options.maxDownload ?? DEFAULT_MAX_DOWNLOAD,
      freeSpace: this.#options.freeSpace,
      onProgress: this.#options.onProgress,
    });
    this.#streams = streams;
    this.#loop = this.#readLoop(conn, reader, streams);
  }

  /** Asks for the list of active users. */
  async report(): Promise<{ count: number; users: ReportedUser[] }> {
    const frame = await this.#ask({ flags: FLAG.REPORT_REQUEST }, FLAG.REPORT_RESPONSE, "report");
    return { count: frame.number, users: reportedUsers(frame.payload) };
  }

  /**
   * Asks to join as `username`, with an optional avatar image (sent as the
   * request's PAYLOAD and FILENAME). On acceptance the history and then live
   * events follow through `onEvent`, starting with a `joined` event.
   *
   * @throws {RequestError} if the request cannot be encoded (nothing is sent).
   */
  async join(username: string, avatar?: AvatarImage): Promise<JoinResult> {
    const bytes = utf8Length(username);
    if (bytes > MAX_NAME_BYTES) {
      throw new RequestError(
        `Cannot join as ${JSON.stringify(username)}: the username is ${bytes} bytes in UTF-8, ` +
          `over the protocol's limit of ${MAX_NAME_BYTES} bytes; choose a shorter one`,
      );
    }
    const init = {
      flags: FLAG.JOIN_REQUEST,
      username,
      // Servers that predate join options ignore NUMBER and send our files back in full;
      // servers that predate STREAM send others' files whole, once stored.
      number: JOIN_OPTION.ECHO | JOIN_OPTION.STREAM,
      filename: avatar?.filename,
      payload: avatar?.bytes,
    };
    const frame = await this.#ask(init, FLAG.JOIN_ACCEPT | FLAG.JOIN_REJECT, "join");
    if (hasFlag(frame, FLAG.JOIN_ACCEPT)) return { accepted: true, username: frame.username };
    return { accepted: false, code: frame.code, text: decodeText(frame.payload) };
  }

  /**
   * Sends a chat line.
   *
   * @throws {RequestError} if the line cannot be encoded (nothing is sent).
   */
  say(text: string): void {
    this.#send(this.#encode({ payload: text }, "send the message"));
  }

  /**
   * Uploads the file at `path`: hashed once, then streamed. Resolves when the
   * upload is queued; the room's copy arrives later as an `attachment` event.
   */
  async upload(path: string, options: UploadOptions = {}): Promise<{ size: number; name: string }> {
    const info = await Deno.stat(path);
    if (info.isDirectory) throw new RequestError(`Cannot send ${path}: it is a folder, not a file`);
    if (!info.isFile) throw new RequestError(`Cannot send ${path}: it is not a file`);
    const { size, sha256 } = await hashFile(path);
    const filename = options.filename ?? path;
    const name = filename.split(/[\\/]/).pop() || filename;
    const init = { flags: FLAG.ATTACHMENT, filename, sha256, payloadLength: size };
    this.#send(
      this.#encode(init, `send ${path}`),
      () => uploadChunks(path, { filename, size, onProgress: this.#options.onProgress }),
    );
    this.#uploads.add({ sha256: toHex(sha256), path, size });
    return { size, name };
  }

  /** Leaves the room; resolves once the server confirmed and the connection is closed. */
  async quit(): Promise<void> {
    if (!this.#conn || this.#username === null) return this.close();
    this.#quitting = true;
    // A request still waiting would never get its answer now.
    this.#request.reject(new ConnectionError("The session left the chatroom"));
    const answered = this.#request.begin(FLAG.QUIT_ACCEPT);
    this.#send(this.#encode({ flags: FLAG.QUIT_REQUEST }, "leave the chatroom"));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise((resolve) => timer = setTimeout(resolve, QUIT_TIMEOUT_MS));
    try {
      // A connection that closes instead of answering: we are out either way.
      await Promise.race([answered.catch(() => {}), timeout]);
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

  /** Sends a request and waits for the frame with any of `expect`'s flags that answers it. */
  async #ask(init: FrameInit, expect: number, action: string): Promise<Frame> {
    const frame = this.#encode(init, action);
    await this.#connect();
    const answer = this.#request.begin(expect);
    this.#send(frame);
    // Before joining, a silence is a server that will not answer. In the room an answer may
    // wait behind our own upload or the server's rate limit: slow, not lost.
    if (this.#username !== null) return await answer;
    const ms = this.#options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
    let late = false;
    const timer = setTimeout(() => {
      // A server that accepted the connection and never answers: not waited for forever.
      late = true;
      this.#request.reject(
        new ConnectionError(
          `The server did not answer the ${action} request within ${ms / 1000} s.`,
        ),
      );
      if (this.#conn) closeQuietly(this.#conn);
    }, ms);
    try {
      return await answer;
    } finally {
      clearTimeout(timer);
      // The connection is gone once this returns: the next request makes a new one.
      if (late) await this.#loop;
    }
  }

  /** Encodes a frame, or refuses the action: nothing is sent and no state changes. */
  #encode(init: FrameInit, action: string): EncodedFrame {
    try {
      return { init, bytes: encodeFrame(init) };
    } catch (error) {
      if (error instanceof ProtocolError) {
        throw new RequestError(`Cannot ${action}: ${error.message}`);
      }
      throw error;
    }
  }

  #send(frame: EncodedFrame, body?: () => AsyncIterable<Uint8Array>): void {
    if (!this.#sender) throw new ConnectionError("Cannot send: not connected to the server");
    if (this.#options.trace) {
      const { header, payload } = normalizeFrame(frame.init);
      this.#options.trace(formatFrame("send", header, payload));
    }
    this.#sender.send(frame.bytes, body);
  }

  async #readLoop(
    conn: Deno.TcpConn,
    reader: FrameReader,
    streams: StreamTransfers,
  ): Promise<void> {
    let reason = "The server closed the connection.";
    try {
      while (true) {
        // What one read brought is handled without an await per frame (a
        // history is thousands of them), unless a handler returns a promise.
        const header = reader.headerNow() ?? await reader.readHeader();
        if (!header) break;
        const handled = this.#handleNow(reader, header);
        if (handled) await handled;
      }
    } catch (error) {
      if (error instanceof StreamViolation) {
        reason = `The server broke the protocol: ${error.message}; the connection was closed.`;
      } else if (error instanceof ProtocolError) {
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
    this.#request.reject(new ConnectionError(reason));
    const wasInRoom = this.#username !== null || this.#quitting;
    this.#username = null;
    this.#uploads.clear();
    // Nothing half-received stays behind, whatever ended the connection.
    await streams.abortAll();
    if (wasOurs && wasInRoom && !this.#quitting) {
      await this.#options.onEvent({ type: "disconnected", reason });
    }
    this.#quitting = false;
  }

  /** Handles a frame, synchronously if its payload is here and the handlers are. */
  #handleNow(reader: FrameReader, header: FrameHeader): void | Promise<void> {
    if (isStreamFrame(header)) return this.#stream(reader, header);
    if (hasFlag(header, FLAG.ATTACHMENT)) return this.#attachment(reader, header);
    const payload = reader.payloadNow(header, MAX_PUSHED_PAYLOAD);
    return payload ? this.#pushed(header, payload) : this.#readPushed(reader, header);
  }

  /** {@linkcode #pushed} for a frame whose payload is still to come. */
  async #readPushed(reader: FrameReader, header: FrameHeader): Promise<void> {
    await this.#pushed(header, await reader.readPayload(header, MAX_PUSHED_PAYLOAD));
  }

  /**
   * A whole frame that is not part of a file: an answer, an error, an
   * announcement, a chat line. `payload` may be a view of the read buffer:
   * it is decoded here, or copied where it is kept (an answer, an avatar).
   */
  #pushed(header: FrameHeader, payload: Uint8Array): void | Promise<void> {
    const history = hasFlag(header, FLAG.HISTORY);
    this.#options.trace?.(formatFrame("recv", header, payload));
    if (this.#request.answeredBy(header) && !history) {
      // Someone else leaving while we are quitting is news, not our answer.
      const othersQuit = hasFlag(header, FLAG.QUIT_ACCEPT) && header.username !== this.#username;
      if (!othersQuit) return this.#answer({ ...header, payload: payload.slice() });
    }
    if (hasFlag(header, FLAG.ERROR) && this.#request.pending && !this.#username) {
      this.#request.reject(new ConnectionError(decodeText(payload)));
      return;
    }
    const kept = hasFlag(header, FLAG.AVATAR) ? payload.slice() : payload;
    const shown = this.#options.onEvent(frameEvent(header, kept));
    if (!history) return shown;
    return shown ? shown.then(() => this.#countHistory()) : this.#countHistory();
  }

  /** The frame answers the pending request: update the session, tell the UI, then the caller. */
  async #answer(frame: Frame): Promise<void> {
    if (hasFlag(frame, FLAG.JOIN_ACCEPT)) {
      this.#username = frame.username;
      await this.#options.onEvent({
        type: "joined",
        username: frame.username,
        historyCount: frame.number,
      });
      if (frame.number === 0) await this.#options.onEvent({ type: "history-end" });
      this.#historyLeft = frame.number;
    }
    if (hasFlag(frame, FLAG.QUIT_ACCEPT)) {
      this.#username = null;
      await this.#options.onEvent({ type: "left" });
    }
    this.#request.resolve(frame);
  }

  async #attachment(reader: FrameReader, header: FrameHeader): Promise<void> {
    this.#options.trace?.(formatFrame("recv", header));
    const event = await receiveAttachment(reader, header, {
      uploads: this.#uploads,
      username: this.#username,
      downloadsDir: this.#options.downloadsDir ?? "downloads",
      keepHead: this.#options.keepHead ?? 64 * 1024,
      onProgress: this.#options.onProgress,
      maxBytes: this.#options.maxDownload ?? DEFAULT_MAX_DOWNLOAD,
      freeSpace: this.#options.freeSpace,
    });
    await this.#options.onEvent(event);
    if (hasFlag(header, FLAG.HISTORY)) await this.#countHistory();
  }

  /** A frame of a transfer forwarded as it arrives: its event, if it ends one. */
  async #stream(reader: FrameReader, header: FrameHeader): Promise<void> {
    this.#options.trace?.(formatFrame("recv", header));
    const event = await this.#streams!.handle(reader, header, {
      uploads: this.#uploads,
      username: this.#username,
    });
    if (event) await this.#options.onEvent(event);
  }

  #countHistory(): void | Promise<void> {
    if (this.#historyLeft > 0 && --this.#historyLeft === 0) {
      return this.#options.onEvent({ type: "history-end" });
    }
  }
}
