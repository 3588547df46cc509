/**
 * The chat server: wires TCP connections to a {@linkcode Room}. All the
 * rules live in the room; this file only reads frames, asks the room what
 * to do, writes frames and streams attachments to and from disk.
 *
 * @module
 */
import {
  CODE,
  codeName,
  encodeFrame,
  FLAG,
  type FrameHeader,
  type FrameInit,
  hasFlag,
  MAX_MESSAGE_PAYLOAD,
  normalizeFrame,
  ProtocolError,
  SHA256_BYTES,
  toHex,
} from "./protocol.ts";
import { closeGracefully, FrameReader, FrameSender, type PayloadSource } from "./transport.ts";
import { type ConnId, entryFrame, type Outgoing, Room } from "./room.ts";
import { type HistoryEntry, HistoryError, type HistoryStore } from "./history.ts";
import { FileCheckError, receiveFile, removeIncomplete, safeFileName } from "./files.ts";
import { Logger } from "./log.ts";
import { formatBytes, formatFrame } from "./trace.ts";
import {
  attachmentProblem,
  describeMissing,
  fileChunksExactly,
  findMissingAttachments,
  missingAttachmentFrame,
} from "./attachment_check.ts";
import { ConnectionLimits } from "./conn_limits.ts";
import { Acceptor } from "./acceptor.ts";
import { sleep, untilAborted } from "./abortable.ts";
import { DEFAULT_RATE_LIMIT, type RateLimit, TokenBucket } from "./rate_limit.ts";
import { SERVER_NAME } from "./username.ts";

/** Options for {@linkcode serve}. */
export interface ServeOptions {
  /** Address to listen on. @default "0.0.0.0" */
  hostname?: string;
  /** Port to listen on; 0 picks a free one. @default 18000 */
  port?: number;
  /** Most active users. @default 3 */
  maxUsers?: number;
  /** Folder where received attachments are stored. @default "downloads" */
  downloadsDir?: string;
  /** Largest attachment accepted, in bytes. @default 104857600 (100 MiB) */
  maxAttachment?: number;
  /** Where history lives. @default in memory */
  history?: HistoryStore;
  /** Most history entries sent to a joining user. @default unlimited */
  historyLimit?: number;
  /** Where the server's report goes. @default nowhere */
  logger?: Logger;
  /** Log every frame sent and received. @default false */
  trace?: boolean;
  /**
   * Milliseconds a peer may make no progress in the middle of a frame —
   * sending one to us, or taking one from us — before it is disconnected.
   * A peer idle between frames, at the menu or in the room, is never timed.
   * @default 30000
   */
  stallTimeoutMs?: number;
  /** Bytes of frames that may queue for one slow client before it is dropped. @default 8388608 */
  maxQueuedBytes?: number;
  /** Most connections open at once; a newcomer past it gets a "server busy" ERROR. @default 1000 */
  maxConnections?: number;
  /** Most connections from one address (one IPv6 /64). @default 16 */
  maxConnectionsPerAddress?: number;
  /** Count loopback addresses against the per-address cap too. @default false */
  limitLoopback?: boolean;
  /**
   * How fast each connection's frames are read; `false` for no limit (for
   * benchmarks). Frames are never dropped: a fast sender is read more slowly.
   * @default DEFAULT_RATE_LIMIT (10 a second, bursts of 30)
   */
  rateLimit?: RateLimit | false;
  /**
   * On close, how long users get to receive what is queued for them (the
   * shutdown notice, downloads under way) before their connections are cut.
   * Uploads under way are aborted at once and leave no file. @default 5000
   */
  shutdownGraceMs?: number;
}

/** A running server. */
export interface ChatServer extends AsyncDisposable {
  /** The address it listens on. */
  readonly hostname: string;
  /** The port it listens on (the real one when started with port 0). */
  readonly port: number;
  /** The room, for inspection. */
  readonly room: Room;
  /** Connections open now: joined or not, including ones being refused. */
  readonly connections: number;
  /** Tells users the server is going away, closes every connection, and stops. */
  close(): Promise<void>;
}

interface Client {
  id: ConnId;
  conn: Deno.TcpConn;
  reader: FrameReader;
  sender: FrameSender;
  label: string;
}

/** Starts a chat server. Resolves once it is listening. */
export async function serve(options: ServeOptions = {}): Promise<ChatServer> {
  const server = new Server(options);
  await server.start();
  return server;
}

class Server implements ChatServer {
  #options: Required<Pick<ServeOptions, "downloadsDir" | "maxAttachment" | "trace">> & ServeOptions;
  #listener?: Deno.TcpListener;
  #clients = new Map<ConnId, Client>();
  #nextId = 1;
  #log: Logger;
  #acceptor?: Acceptor;
  #closed = false;
  #stopping = new AbortController();
  #limits: ConnectionLimits;
  #rateLimit: RateLimit | false;
  readonly room: Room;

  constructor(options: ServeOptions) {
    this.#options = {
      downloadsDir: "downloads",
      maxAttachment: 100 * 1024 * 1024,
      trace: false,
      ...options,
    };
    this.#log = options.logger ?? new Logger(() => {});
    this.room = new Room({
      maxUsers: options.maxUsers,
      history: options.history,
      historyLimit: options.historyLimit,
    });
    this.#limits = new ConnectionLimits({
      maxConnections: options.maxConnections,
      maxPerAddress: options.maxConnectionsPerAddress,
      limitLoopback: options.limitLoopback,
    });
    this.#rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  }

  get connections(): number {
    return this.#acceptor?.open ?? 0;
  }

  get hostname(): string {
    return this.#listener!.addr.hostname;
  }

  get port(): number {
    return this.#listener!.addr.port;
  }

  async start(): Promise<void> {
    const dir = this.#options.downloadsDir;
    await Deno.mkdir(dir, { recursive: true });
    const removed = await removeIncomplete(dir);
    if (removed) this.#log.info(`Removed ${removed} incomplete transfer(s) from ${dir}/`);
    const missing = findMissingAttachments(this.room.history.list(), dir);
    for (const problem of missing.slice(0, 20)) this.#log.info(describeMissing(problem));
    if (missing.length > 20) {
      this.#log.info(`…and ${missing.length - 20} more attachment records whose file is missing`);
    }
    this.#listener = Deno.listen({
      hostname: this.#options.hostname ?? "0.0.0.0",
      port: this.#options.port ?? 18000,
    });
    this.#log.info(
      `Server listening on ${this.hostname}:${this.port} (at most ${this.room.maxUsers} users, attachments saved in ${dir}/)`,
    );
    this.#acceptor = new Acceptor(this.#listener, {
      limits: this.#limits,
      logger: this.#log,
      serve: (conn) => this.#handle(conn),
    });
  }

  async #handle(conn: Deno.TcpConn): Promise<void> {
    conn.setNoDelay(true);
    const id = this.#nextId++;
    const addr = conn.remoteAddr;
    const label = `#${id} (${addr.hostname}:${addr.port})`;
    const client: Client = {
      id,
      conn,
      reader: new FrameReader(conn, { stallTimeoutMs: this.#options.stallTimeoutMs }),
      sender: new FrameSender(conn, {
        maxQueuedBytes: this.#options.maxQueuedBytes,
        // How far behind a reader may fall in attachments: two of the largest.
        maxQueuedStreamBytes: 2 * this.#options.maxAttachment,
        writeTimeoutMs: this.#options.stallTimeoutMs ?? 30_000,
        onError: (error) => this.#sendFailed(label, conn, error),
      }),
      label,
    };
    const bucket = this.#rateLimit ? new TokenBucket(this.#rateLimit, Date.now()) : null;
    this.#clients.set(id, client);
    this.#log.info(`Connection ${client.label} opened`);
    try {
      while (!this.#closed) {
        // Too fast: read this connection later; TCP backpressure slows its sender.
        const wait = bucket?.take(Date.now()) ?? 0;
        if (wait > 0) await sleep(wait, this.#stopping.signal);
        const header = await client.reader.readHeader();
        if (!header) break;
        try {
          if (hasFlag(header, FLAG.ATTACHMENT)) {
            await this.#receiveAttachment(client, header);
          } else {
            const payload = await client.reader.readPayload(header, MAX_MESSAGE_PAYLOAD);
            if (this.#options.trace) {
              this.#log.raw(`${formatFrame("recv", header, payload)} from=#${id}`);
            }
            this.#dispatch(client, header, payload);
          }
        } catch (error) {
          if (!(error instanceof HistoryError)) throw error;
          this.#storeFailed(client, error);
        }
      }
    } catch (error) {
      this.#onReadError(client, error);
    } finally {
      this.#clients.delete(id);
      const name = this.room.member(id)?.username;
      try {
        this.#deliver(this.room.disconnect(id));
        if (name) {
          const why = this.#closed
            ? "was disconnected by the shutdown"
            : "disconnected without quitting";
          this.#log.info(`${name} ${why}; announced as left`);
        }
      } catch (error) {
        // The seat is free all the same (see Room.disconnect); only the record is missing.
        this.#log.info(`Cannot record that ${name} left: ${errorText(error)}`);
      }
      await client.sender.flush();
      await closeGracefully(conn);
      this.#log.info(`Connection ${client.label} closed`);
    }
  }

  /** A write failed: the peer went away, or stopped reading for the stall timeout. */
  #sendFailed(label: string, conn: Deno.TcpConn, error: unknown): void {
    if (error instanceof ProtocolError) {
      this.#log.info(`${label} is too far behind: ${error.message}; disconnecting it`);
    }
    closeQuietly(conn);
  }

  /** The history could not store what a user sent: only the sender hears of it. */
  #storeFailed(client: Client, error: HistoryError): void {
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    this.#log.info(`${error.message}; ${client.label} was told, nobody else received it`);
    this.#send([client.id], {
      flags: FLAG.ERROR,
      code: CODE.SERVER_ERROR,
      payload:
        `The server could not store that, so nobody received it (${reason}). Try again later.`,
    });
  }

  #onReadError(client: Client, error: unknown): void {
    if (error instanceof ProtocolError) {
      this.#log.info(
        `Protocol error from ${client.label}: ${error.message} [${
          codeName(error.code)
        }]; closing it`,
      );
      this.#send([client.id], { flags: FLAG.ERROR, code: error.code, payload: error.message });
    } else if (!this.#closed && !isDisconnect(error)) {
      this.#log.info(`Error on ${client.label}: ${errorText(error)}; closing it`);
      this.#send([client.id], {
        flags: FLAG.ERROR,
        code: CODE.SERVER_ERROR,
        payload: `The server failed: ${errorText(error)}`,
      });
    }
  }

  #dispatch(client: Client, header: FrameHeader, payload: Uint8Array): void {
    const id = client.id;
    const kind = header.flags & ~FLAG.HISTORY;
    if (kind === FLAG.REPORT_REQUEST) {
      this.#log.info(
        `${client.label} requested a report: ${this.room.members.length} active user(s)`,
      );
      this.#deliver(this.room.report(id));
    } else if (kind === FLAG.JOIN_REQUEST) {
      // A JOIN_REQUEST's PAYLOAD, if any, is the user's avatar (FILENAME names it).
      const avatar = payload.length ? { filename: header.filename, bytes: payload } : undefined;
      const out = this.#deliver(
        this.room.join(id, header.username, client.conn.remoteAddr, { avatar }),
      );
      const first = out[0];
      if ("frame" in first && first.frame.flags === FLAG.JOIN_ACCEPT) {
        this.#log.info(
          `${client.label} joined as "${header.username}"${
            avatar ? ` with avatar ${this.room.member(id)?.avatar?.filename}` : ""
          } (${this.room.members.length}/${this.room.maxUsers} users); sent ${first.frame.number} history entries`,
        );
      } else if ("frame" in first) {
        this.#log.info(
          `${client.label} join request as ${JSON.stringify(header.username)} rejected: ${
            codeName(first.frame.code ?? 0)
          }`,
        );
      }
    } else if (kind === FLAG.QUIT_REQUEST) {
      const name = this.room.member(id)?.username;
      this.#deliver(this.room.quit(id));
      if (name) {
        this.#log.info(
          `${name} quit the chatroom (${this.room.members.length}/${this.room.maxUsers} users)`,
        );
      }
    } else if (kind === 0) {
      const text = new TextDecoder().decode(payload);
      const name = this.room.member(id)?.username;
      this.#deliver(this.room.chat(id, text));
      // A preview: a client must not be able to make the log grow 64 KiB a line.
      if (name) this.#log.info(`Message from ${name}: ${JSON.stringify(preview(text))}`);
      else this.#log.info(`${client.label} sent a message without joining; refused`);
    } else {
      throw new ProtocolError(
        CODE.BAD_FRAME,
        `Cannot handle a frame with flags 0x${
          kind.toString(16)
        }: a client may send a report request, a join request, a quit request, a chat message or an attachment`,
      );
    }
  }

  async #receiveAttachment(client: Client, header: FrameHeader): Promise<void> {
    const name = safeFileName(header.filename);
    const refuse = (code: number, text: string) => {
      this.#log.info(
        `Attachment ${JSON.stringify(header.filename)} from ${client.label} refused: ${text}`,
      );
      this.#send([client.id], { flags: FLAG.ERROR, code, payload: text });
    };
    const refusal = this.room.uploadRefusal(client.id);
    if (this.#options.trace) this.#log.raw(`${formatFrame("recv", header)} from=#${client.id}`);
    if (
      refusal || header.payloadLength > this.#options.maxAttachment ||
      header.sha256.length !== SHA256_BYTES
    ) {
      // Say no at once, then skip what the sender streams anyway (it cannot stop mid-frame).
      if (refusal) this.#deliver([refusal]);
      else if (header.sha256.length !== SHA256_BYTES) {
        refuse(CODE.BAD_FRAME, `Cannot accept ${name}: the attachment has no SHA-256 digest.`);
      } else {
        refuse(
          CODE.ATTACHMENT_TOO_LARGE,
          `Cannot accept ${name}: it is ${
            formatBytes(header.payloadLength)
          }, over the server's limit of ${formatBytes(this.#options.maxAttachment)}.`,
        );
      }
      return await client.reader.skipPayload();
    }
    const sender = this.room.member(client.id)!.username;
    this.#log.info(
      `Receiving attachment ${name} (${formatBytes(header.payloadLength)}) from ${sender}`,
    );
    let stored;
    try {
      const chunks = untilAborted(client.reader.payloadChunks(), this.#stopping.signal);
      stored = await receiveFile(chunks, this.#options.downloadsDir, name, {
        size: header.payloadLength,
        sha256: header.sha256,
      });
    } catch (error) {
      if (this.#closed) {
        this.#log.info(`Upload of ${name} from ${sender} aborted by the shutdown; nothing stored`);
        throw error;
      }
      if (error instanceof ProtocolError) throw error;
      await client.reader.skipPayload();
      if (error instanceof FileCheckError) {
        return refuse(CODE.ATTACHMENT_HASH_MISMATCH, error.message);
      }
      return refuse(CODE.SERVER_ERROR, `The server could not store ${name}: ${errorText(error)}`);
    }
    let out;
    try {
      out = this.#deliver(this.room.attachment(client.id, {
        filename: name,
        storedName: stored.name,
        size: stored.size,
        sha256: stored.sha256,
      }));
    } catch (error) {
      // Not in the history, so not in downloads/ either: no record without a file, no file without one.
      await Deno.remove(stored.path).catch((removal) =>
        this.#log.info(`Cannot remove ${stored.path}: ${errorText(removal)}`)
      );
      throw error;
    }
    this.#log.info(
      `Attachment ${name} from ${sender} saved as ${stored.path} (${
        formatBytes(stored.size)
      }, sha256 ${toHex(stored.sha256).slice(0, 16)}…); forwarding to ${
        out[0]?.to.length ?? 0
      } user(s)`,
    );
  }

  /** Sends what the room decided. Returns it, for logging. */
  #deliver(out: Outgoing[]): Outgoing[] {
    for (let i = 0; i < out.length; i++) {
      const item = out[i];
      if ("frame" in item) {
        this.#send(item.to, item.frame);
      } else if (item.replay) {
        const entries = [item.entry];
        for (let next = out[i + 1]; next && "entry" in next && next.replay; next = out[++i + 1]) {
          entries.push(next.entry);
        }
        this.#replay(item.to, entries);
      } else {
        const { frame, path, size } = this.#entryToSend(item.entry, false);
        this.#send(item.to, frame, path ? () => fileChunksExactly(path, size) : undefined);
      }
    }
    return out;
  }

  /**
   * A joining user's history, as one stream encoded lazily while it is
   * written: however long the history, it neither fills memory nor the
   * user's send queue (which would drop them as too far behind on arrival).
   */
  #replay(to: ConnId[], entries: HistoryEntry[]): void {
    const stream = async function* (this: Server, id: ConnId): AsyncGenerator<Uint8Array> {
      for (const entry of entries) {
        const { frame, path, size } = this.#entryToSend(entry, true);
        if (this.#options.trace) {
          const { header, payload } = normalizeFrame(frame);
          this.#log.raw(`${formatFrame("send", header, payload)} to=#${id}`);
        }
        yield encodeFrame(frame);
        if (path) yield* fileChunksExactly(path, size);
      }
    };
    for (const id of to) this.#enqueue(id, new Uint8Array(0), () => stream.call(this, id));
  }

  /** The frame for an entry and, for an attachment whose file is there, the file to stream after it. */
  #entryToSend(
    entry: HistoryEntry,
    replay: boolean,
  ): { frame: FrameInit; path?: string; size: number } {
    const file = entry.attachment;
    if (!file) return { frame: entryFrame(entry, replay), size: 0 };
    const path = `${this.#options.downloadsDir}/${file.storedName}`;
    // A header promises its payload: find a missing file now, not halfway through.
    const problem = attachmentProblem(path, file.size);
    if (problem) {
      this.#log.info(`Cannot send history entry #${entry.seq}: ${path}: ${problem}`);
      return { frame: missingAttachmentFrame(entry, replay), size: 0 };
    }
    return { frame: entryFrame(entry, replay), path, size: file.size };
  }

  #send(to: ConnId[], init: FrameInit, body?: PayloadSource): void {
    const bytes = encodeFrame(init);
    for (const id of to) {
      if (!this.#clients.has(id)) continue;
      if (this.#options.trace) {
        const { header, payload } = normalizeFrame(init);
        this.#log.raw(`${formatFrame("send", header, payload)} to=#${id}`);
      }
      this.#enqueue(id, bytes, body);
    }
  }

  /** Queues bytes (and a streamed body) for one connection; drops it if it is too far behind. */
  #enqueue(id: ConnId, bytes: Uint8Array, body?: PayloadSource): void {
    const client = this.#clients.get(id);
    if (!client) return;
    if (!client.sender.send(bytes, body)) {
      this.#log.info(`${client.label} is too far behind (or gone); disconnecting it`);
      closeQuietly(client.conn);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const notice = "The server is shutting down.";
    try {
      this.#deliver(this.room.notice(notice));
    } catch (error) {
      if (!(error instanceof HistoryError)) throw error;
      this.#log.info(`${error.message}; announcing the shutdown without storing it`);
      const to = this.room.members.map((m) => m.id);
      this.#send(to, {
        flags: FLAG.NOTICE,
        sender: SERVER_NAME,
        timestamp: Date.now(),
        payload: notice,
      });
    }
    this.#closed = true;
    this.#stopping.abort(new Error("The server is shutting down"));
    await this.#acceptor?.stop();
    const flushed = Promise.all([...this.#clients.values()].map((c) => c.sender.flush()));
    await sleep(this.#options.shutdownGraceMs ?? 5000, flushed);
    for (const client of this.#clients.values()) closeQuietly(client.conn);
    await this.#acceptor?.drained();
    this.#log.info("Server stopped");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/** True for the errors a peer that went away produces. */
export function isDisconnect(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.NotConnected;
}

/** At most 200 characters of `text`, marked when cut. */
function preview(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
