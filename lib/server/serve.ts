/**
 * The chat server: listens, accepts connections within their caps, serves
 * each one (`peer.ts`), and shuts down. All the rules live in the
 * {@linkcode Room}; what goes out goes through the {@linkcode Outbox}.
 *
 * @module
 */
import { FLAG } from "../shared/wire/flags.ts";
import { closeQuietly } from "../shared/net/conn_helpers.ts";
import { StallMonitor } from "../shared/net/stall_monitor.ts";
import { removeIncomplete } from "../shared/files/receive_file.ts";
import { Logger } from "../shared/log.ts";
import { sleep } from "../shared/abortable.ts";
import { SERVER_NAME } from "../shared/username.ts";
import { HistoryError, type HistoryStore } from "./history/history.ts";
import { describeMissing, findMissingAttachments } from "./history/attachment_check.ts";
import { Room } from "./room/room.ts";
import { TEXT } from "./room/room_text.ts";
import { ConnectionLimits } from "./limits/conn_limits.ts";
import { BurstPool, DEFAULT_RATE_LIMIT, type RateLimit } from "./limits/rate_limit.ts";
import { Acceptor } from "./acceptor.ts";
import { Outbox } from "./outbox.ts";
import { type PeerOptions, servePeer } from "./peer.ts";
import type { ServerContext } from "./server_context.ts";

/** How long a connection may stay without joining, by default: 2 minutes. */
export const DEFAULT_JOIN_TIMEOUT_MS = 120_000;

/** Slowest a payload may arrive by default, in bytes a second: 1 KiB/s. */
export const DEFAULT_MIN_PAYLOAD_RATE = 1024;

/** Options for {@linkcode serve}. */
export interface ServeOptions {
  /**
   * A listener already open (server.ts listens before it touches the
   * history, so a busy port costs nothing); `hostname` and `port` are then
   * not used. @default a new one on `hostname`:`port`
   */
  listener?: Deno.TcpListener;
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
  /**
   * Each connection's budget: most bytes the server holds for it, queued or
   * being written — frames, attachments waiting (768 KiB each, or their
   * size), its history replay (the page it holds). Past it the client is too
   * far behind and is dropped. Flag: `--max-queue`.
   * @default 8388608 (8 MiB)
   */
  maxQueueBytes?: number;
  /**
   * Slowest a frame's payload may arrive, in bytes a second, averaged over
   * `payloadRateWindowMs` (the first window is the grace period), so a peer
   * that trickles a frame (slowloris) is closed with a TIMEOUT error while
   * an upload over a slow link is not; 0 for no minimum. A whole header must
   * arrive within `stallTimeoutMs` of its first byte. @default 1024
   */
  minPayloadRate?: number;
  /** The window, in milliseconds, `minPayloadRate` is averaged over. @default 10000 */
  payloadRateWindowMs?: number;
  /**
   * Milliseconds a connection that has not joined may go without sending a
   * complete frame before it is closed with a TIMEOUT error: idle
   * connections must not hold the slots. Each frame restarts it (a report
   * loop at the menu stays); a joined user is never timed. @default 120000
   */
  joinTimeoutMs?: number;
  /** Most connections open at once; a newcomer past it gets a "server busy" ERROR. @default 1000 */
  maxConnections?: number;
  /** Most connections from one address (one IPv6 /64). @default 16 */
  maxConnectionsPerAddress?: number;
  /**
   * Count loopback addresses against the per-address cap, and give them one
   * burst per address (see `rateLimit`), too. @default false
   */
  limitLoopback?: boolean;
  /**
   * How fast each connection's frames are read; `false` for no limit (for
   * benchmarks). Frames are never dropped: a fast sender is read more slowly.
   * The burst is per address (one IPv6 /64; loopback only with
   * `limitLoopback`), the rate per connection: a new connection starts with
   * what the address's burst holds, so reconnecting gets no fresh one.
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
  #options: ServeOptions;
  #listener?: Deno.TcpListener;
  #nextId = 1;
  #log: Logger;
  #acceptor?: Acceptor;
  #closed = false;
  #stopping = new AbortController();
  #limits: ConnectionLimits;
  /** How every connection is read and written; one stall monitor for the server's life. */
  #peerOptions: PeerOptions;
  /** What each connection's handlers work with. */
  #context: ServerContext;
  readonly room: Room;

  constructor(options: ServeOptions) {
    this.#options = options;
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
    this.#peerOptions = {
      stallTimeoutMs: options.stallTimeoutMs,
      maxQueueBytes: options.maxQueueBytes,
      minPayloadRate: options.minPayloadRate ?? DEFAULT_MIN_PAYLOAD_RATE,
      payloadRateWindowMs: options.payloadRateWindowMs,
      joinTimeoutMs: options.joinTimeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS,
      rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT,
      burstPool: options.rateLimit === false
        ? null
        : new BurstPool(options.rateLimit ?? DEFAULT_RATE_LIMIT, {
          limitLoopback: options.limitLoopback,
        }),
      stallMonitor: new StallMonitor(options.stallTimeoutMs ?? 30_000, { persistent: true }),
    };
    const downloadsDir = options.downloadsDir ?? "downloads";
    this.#context = {
      room: this.room,
      outbox: new Outbox({
        downloadsDir,
        logger: this.#log,
        trace: options.trace ?? false,
        history: this.room.history,
      }),
      logger: this.#log,
      downloadsDir,
      maxAttachment: options.maxAttachment ?? 100 * 1024 * 1024,
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
    const dir = this.#context.downloadsDir;
    await Deno.mkdir(dir, { recursive: true });
    const removed = await removeIncomplete(dir);
    if (removed) this.#log.info(`Removed ${removed} incomplete transfer(s) from ${dir}/`);
    const missing = findMissingAttachments(this.room.history.attachments(), dir);
    for (const problem of missing.slice(0, 20)) this.#log.info(describeMissing(problem));
    if (missing.length > 20) {
      this.#log.info(`…and ${missing.length - 20} more attachment records whose file is missing`);
    }
    this.#listener = this.#options.listener ?? Deno.listen({
      hostname: this.#options.hostname ?? "0.0.0.0",
      port: this.#options.port ?? 18000,
    });
    this.#log.info(
      `Server listening on ${this.hostname}:${this.port} (at most ${this.room.maxUsers} users, attachments saved in ${dir}/)`,
    );
    this.#acceptor = new Acceptor(this.#listener, {
      limits: this.#limits,
      logger: this.#log,
      serve: (conn) => servePeer(conn, this.#nextId++, this.#peerOptions, this.#context),
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const { outbox } = this.#context;
    try {
      outbox.deliver(this.room.notice(TEXT.shuttingDown));
    } catch (error) {
      if (!(error instanceof HistoryError)) throw error;
      this.#log.info(`${error.message}; announcing the shutdown without storing it`);
      const to = this.room.members.map((m) => m.id);
      outbox.send(to, {
        flags: FLAG.NOTICE,
        sender: SERVER_NAME,
        timestamp: Date.now(),
        payload: TEXT.shuttingDown,
      });
    }
    this.#closed = true;
    this.#stopping.abort(new Error("The server is shutting down"));
    await this.#acceptor?.stop();
    const peers = [...outbox.peers];
    const flushed = Promise.all(peers.map((p) => p.sender.flush()));
    await sleep(this.#options.shutdownGraceMs ?? 5000, flushed);
    for (const peer of outbox.peers) closeQuietly(peer.conn);
    await this.#acceptor?.drained();
    this.#peerOptions.stallMonitor.stop();
    this.#log.info("Server stopped");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
