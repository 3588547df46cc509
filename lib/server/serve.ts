/**
 * The chat server: wires TCP connections to a {@linkcode Room}. All the
 * rules live in the room; this file accepts connections, reads frames and
 * hands them on (to `dispatch.ts`, or `upload.ts` for an attachment), and
 * shuts down. What goes out goes through a {@linkcode Delivery}.
 *
 * @module
 */
import { CODE, codeName, ProtocolError } from "../shared/wire/protocol_error.ts";
import { FLAG, hasFlag } from "../shared/wire/flags.ts";
import { MAX_MESSAGE_PAYLOAD } from "../shared/wire/layout.ts";
import { closeGracefully } from "../shared/net/conn_helpers.ts";
import { FrameReader } from "../shared/net/frame_reader.ts";
import { FrameSender } from "../shared/net/frame_sender.ts";
import { type ConnId, Room } from "./room/room.ts";
import { HistoryError, type HistoryStore } from "./history/history.ts";
import { removeIncomplete } from "../shared/files/receive_file.ts";
import { Logger } from "../shared/log.ts";
import { describeMissing, findMissingAttachments } from "./history/attachment_check.ts";
import { ConnectionLimits } from "./limits/conn_limits.ts";
import { Acceptor } from "./acceptor.ts";
import { sleep } from "../shared/abortable.ts";
import { DEFAULT_RATE_LIMIT, type RateLimit, TokenBucket } from "./limits/rate_limit.ts";
import { SERVER_NAME } from "../shared/username.ts";
import { type Client, Delivery } from "./outbox.ts";
import { dispatch } from "./dispatch.ts";
import { receiveAttachment, type UploadContext } from "./upload.ts";
import { closeQuietly, isDisconnect } from "../shared/net/conn_helpers.ts";
import { errorText } from "../shared/error_text.ts";
import { StallMonitor } from "../shared/net/stall_monitor.ts";

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

/** Starts a chat server. Resolves once it is listening. */
export async function serve(options: ServeOptions = {}): Promise<ChatServer> {
  const server = new Server(options);
  await server.start();
  return server;
}

class Server implements ChatServer {
  #options: Required<Pick<ServeOptions, "downloadsDir" | "maxAttachment" | "trace">> & ServeOptions;
  #listener?: Deno.TcpListener;
  #delivery: Delivery;
  #nextId = 1;
  #log: Logger;
  #acceptor?: Acceptor;
  #closed = false;
  /** Times every connection's writes; one timer for the server's life. */
  #stallMonitor: StallMonitor;
  #stopping = new AbortController();
  #limits: ConnectionLimits;
  #rateLimit: RateLimit | false;
  /** What dispatch and uploads work with. */
  #context: UploadContext;
  readonly room: Room;

  constructor(options: ServeOptions) {
    this.#options = {
      downloadsDir: "downloads",
      maxAttachment: 100 * 1024 * 1024,
      trace: false,
      ...options,
    };
    this.#log = options.logger ?? new Logger(() => {});
    this.#stallMonitor = new StallMonitor(this.#options.stallTimeoutMs ?? 30_000, {
      persistent: true,
    });
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
    const { downloadsDir, maxAttachment, trace } = this.#options;
    this.#delivery = new Delivery({ downloadsDir, logger: this.#log, trace });
    this.#context = {
      room: this.room,
      delivery: this.#delivery,
      logger: this.#log,
      downloadsDir,
      maxAttachment,
      stopping: this.#stopping.signal,
    };
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
        stallMonitor: this.#stallMonitor,
        onError: (error) => this.#delivery.sendFailed(label, conn, error),
      }),
      label,
    };
    const bucket = this.#rateLimit ? new TokenBucket(this.#rateLimit, Date.now()) : null;
    this.#delivery.add(client);
    this.#log.info(`Connection ${client.label} opened`);
    try {
      while (!this.#closed) {
        // Too fast: read this connection later; TCP backpressure slows its sender.
        const wait = bucket?.take(Date.now()) ?? 0;
        if (wait > 0) await sleep(wait, this.#stopping.signal);
        const header = await client.reader.readHeader();
        if (!header) break;
        if (hasFlag(header, FLAG.ECHO)) {
          throw new ProtocolError(
            CODE.BAD_FRAME,
            `Cannot accept a frame with flags 0x${
              header.flags.toString(16)
            }: ECHO (0x2000) is sent by the server only`,
          );
        }
        try {
          if (hasFlag(header, FLAG.ATTACHMENT)) {
            await receiveAttachment(client, header, this.#context);
          } else {
            const payload = await client.reader.readPayload(header, MAX_MESSAGE_PAYLOAD);
            this.#delivery.traceReceived(id, header, payload);
            dispatch(client, { header, payload }, this.#context);
          }
        } catch (error) {
          if (!(error instanceof HistoryError)) throw error;
          this.#storeFailed(client, error);
        }
      }
    } catch (error) {
      this.#onReadError(client, error);
    } finally {
      this.#delivery.remove(id);
      this.#announceGone(id);
      await client.sender.flush();
      await closeGracefully(conn);
      this.#log.info(`Connection ${client.label} closed`);
    }
  }

  /** A connection closed: if it had joined, the others hear that its user left. */
  #announceGone(id: ConnId): void {
    const name = this.room.member(id)?.username;
    try {
      this.#delivery.deliver(this.room.disconnect(id));
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
  }

  /** The history could not store what a user sent: only the sender hears of it. */
  #storeFailed(client: Client, error: HistoryError): void {
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    this.#log.info(`${error.message}; ${client.label} was told, nobody else received it`);
    this.#delivery.send([client.id], {
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
      this.#delivery.send([client.id], {
        flags: FLAG.ERROR,
        code: error.code,
        payload: error.message,
      });
    } else if (!this.#closed && !isDisconnect(error)) {
      this.#log.info(`Error on ${client.label}: ${errorText(error)}; closing it`);
      this.#delivery.send([client.id], {
        flags: FLAG.ERROR,
        code: CODE.SERVER_ERROR,
        payload: `The server failed: ${errorText(error)}`,
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const notice = "The server is shutting down.";
    try {
      this.#delivery.deliver(this.room.notice(notice));
    } catch (error) {
      if (!(error instanceof HistoryError)) throw error;
      this.#log.info(`${error.message}; announcing the shutdown without storing it`);
      const to = this.room.members.map((m) => m.id);
      this.#delivery.send(to, {
        flags: FLAG.NOTICE,
        sender: SERVER_NAME,
        timestamp: Date.now(),
        payload: notice,
      });
    }
    this.#closed = true;
    this.#stopping.abort(new Error("The server is shutting down"));
    await this.#acceptor?.stop();
    const clients = [...this.#delivery.clients];
    const flushed = Promise.all(clients.map((c) => c.sender.flush()));
    await sleep(this.#options.shutdownGraceMs ?? 5000, flushed);
    for (const client of this.#delivery.clients) closeQuietly(client.conn);
    await this.#acceptor?.drained();
    this.#stallMonitor.stop();
    this.#log.info("Server stopped");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
