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
import { FrameReader, FrameSender, type PayloadSource } from "./transport.ts";
import { type ConnId, entryFrame, type Outgoing, Room } from "./room.ts";
import type { HistoryEntry, HistoryStore } from "./history.ts";
import { historyReplay } from "./history_replay.ts";
import {
  FileCheckError,
  readFileChunks,
  receiveFile,
  removeIncomplete,
  safeFileName,
} from "./files.ts";
import { Logger } from "./log.ts";
import { formatBytes, formatFrame } from "./trace.ts";

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
  /** Milliseconds a frame may stall half-sent before the connection is closed. @default 30000 */
  stallTimeoutMs?: number;
  /** Bytes of frames that may queue for one slow client before it is dropped. @default 8388608 */
  maxQueuedBytes?: number;
}

/** A running server. */
export interface ChatServer extends AsyncDisposable {
  /** The address it listens on. */
  readonly hostname: string;
  /** The port it listens on (the real one when started with port 0). */
  readonly port: number;
  /** The room, for inspection. */
  readonly room: Room;
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
  #handlers = new Set<Promise<void>>();
  #nextId = 1;
  #log: Logger;
  #accepting?: Promise<void>;
  #closed = false;
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
    this.#listener = Deno.listen({
      hostname: this.#options.hostname ?? "0.0.0.0",
      port: this.#options.port ?? 18000,
    });
    this.#log.info(
      `Server listening on ${this.hostname}:${this.port} (at most ${this.room.maxUsers} users, attachments saved in ${dir}/)`,
    );
    this.#accepting = this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener!.accept();
      } catch (error) {
        if (this.#closed) return;
        this.#log.info(`Cannot accept a connection: ${errorText(error)}`);
        continue;
      }
      const handler = this.#handle(conn).finally(() => this.#handlers.delete(handler));
      this.#handlers.add(handler);
    }
  }

  async #handle(conn: Deno.TcpConn): Promise<void> {
    conn.setNoDelay(true);
    const id = this.#nextId++;
    const addr = conn.remoteAddr;
    const client: Client = {
      id,
      conn,
      reader: new FrameReader(conn, { stallTimeoutMs: this.#options.stallTimeoutMs }),
      sender: new FrameSender(conn, {
        maxQueuedBytes: this.#options.maxQueuedBytes,
        onError: () => closeQuietly(conn),
      }),
      label: `#${id} (${addr.hostname}:${addr.port})`,
    };
    this.#clients.set(id, client);
    this.#log.info(`Connection ${client.label} opened`);
    try {
      while (!this.#closed) {
        const header = await client.reader.readHeader();
        if (!header) break;
        if (hasFlag(header, FLAG.ATTACHMENT)) {
          await this.#receiveAttachment(client, header);
        } else {
          const payload = await client.reader.readPayload(header, MAX_MESSAGE_PAYLOAD);
          if (this.#options.trace) {
            this.#log.raw(`${formatFrame("recv", header, payload)} from=#${id}`);
          }
          this.#dispatch(client, header, payload);
        }
      }
    } catch (error) {
      this.#onReadError(client, error);
    } finally {
      this.#clients.delete(id);
      const name = this.room.member(id)?.username;
      try {
        this.#deliver(this.room.disconnect(id));
      } catch (error) {
        this.#log.info(`Cannot record that ${name} left: ${errorText(error)}`);
      }
      if (name) this.#log.info(`${name} disconnected without quitting; announced as left`);
      await client.sender.flush();
      closeQuietly(conn);
      this.#log.info(`Connection ${client.label} closed`);
    }
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
      const out = this.#deliver(this.room.join(id, header.username, client.conn.remoteAddr));
      const first = out[0];
      if ("frame" in first && first.frame.flags === FLAG.JOIN_ACCEPT) {
        this.#log.info(
          `${client.label} joined as "${header.username}" (${this.room.members.length}/${this.room.maxUsers} users); sent ${first.frame.number} history entries`,
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
      if (name) this.#log.info(`Message from ${name}: ${JSON.stringify(text)}`);
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
      await client.reader.skipPayload();
      if (refusal) return void this.#deliver([refusal]);
      if (header.sha256.length !== SHA256_BYTES) {
        return refuse(
          CODE.BAD_FRAME,
          `Cannot accept ${name}: the attachment has no SHA-256 digest.`,
        );
      }
      return refuse(
        CODE.ATTACHMENT_TOO_LARGE,
        `Cannot accept ${name}: it is ${
          formatBytes(header.payloadLength)
        }, over the server's limit of ${formatBytes(this.#options.maxAttachment)}.`,
      );
    }
    const sender = this.room.member(client.id)!.username;
    this.#log.info(
      `Receiving attachment ${name} (${formatBytes(header.payloadLength)}) from ${sender}`,
    );
    let stored;
    try {
      stored = await receiveFile(client.reader.payloadChunks(), this.#options.downloadsDir, name, {
        size: header.payloadLength,
        sha256: header.sha256,
      });
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      await client.reader.skipPayload();
      if (error instanceof FileCheckError) {
        return refuse(CODE.ATTACHMENT_HASH_MISMATCH, error.message);
      }
      return refuse(CODE.SERVER_ERROR, `The server could not store ${name}: ${errorText(error)}`);
    }
    const out = this.#deliver(this.room.attachment(client.id, {
      filename: name,
      storedName: stored.name,
      size: stored.size,
      sha256: stored.sha256,
    }));
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
    let replay: HistoryEntry[] = [];
    for (const [i, item] of out.entries()) {
      if (isReplay(item)) {
        // A join's history, entry after entry: streamed as one job.
        replay.push(item.entry);
        const next = out[i + 1];
        if (!isReplay(next) || next.to.join() !== item.to.join()) {
          this.#replay(item.to, replay);
          replay = [];
        }
        continue;
      }
      if ("frame" in item) {
        this.#send(item.to, item.frame);
        continue;
      }
      const frame = entryFrame(item.entry, item.replay);
      const file = item.entry.attachment;
      if (!file) {
        this.#send(item.to, frame);
        continue;
      }
      const path = `${this.#options.downloadsDir}/${file.storedName}`;
      this.#send(item.to, frame, () => readFileChunks(path));
    }
    return out;
  }

  /** Streams history to `to`, encoding it as each connection is ready for more. */
  #replay(to: ConnId[], entries: HistoryEntry[]): void {
    for (const id of to) {
      const trace = this.#options.trace
        ? (init: FrameInit) => {
          const { header, payload } = normalizeFrame(init);
          this.#log.raw(`${formatFrame("send", header, payload)} to=#${id}`);
        }
        : undefined;
      const body = historyReplay(entries, {
        downloadsDir: this.#options.downloadsDir,
        onFrame: trace,
      });
      this.#enqueue(id, new Uint8Array(0), body);
    }
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
    this.#deliver(this.room.notice("The server is shutting down."));
    this.#closed = true;
    this.#listener?.close();
    await this.#accepting;
    await Promise.all([...this.#clients.values()].map((c) => c.sender.flush()));
    for (const client of this.#clients.values()) closeQuietly(client.conn);
    await Promise.all([...this.#handlers]);
    this.#log.info("Server stopped");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function isReplay(
  item: Outgoing | undefined,
): item is Outgoing & { entry: HistoryEntry; replay: true } {
  return item !== undefined && "entry" in item && item.replay;
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
