/**
 * One connection's life on the server: frames read and checked as they
 * arrive, handed to dispatch or the upload, errors told to the peer, and
 * its user announced as left when it closes.
 *
 * @module
 */
import { CODE, codeName, ProtocolError } from "../shared/wire/protocol_error.ts";
import { FLAG } from "../shared/wire/flags.ts";
import { MAX_HEADER_SIZE, MAX_MESSAGE_PAYLOAD } from "../shared/wire/layout.ts";
import { MAX_AVATAR_BYTES } from "../shared/avatar.ts";
import { FrameReader } from "../shared/net/frame_reader.ts";
import { FrameSender } from "../shared/net/frame_sender.ts";
import { closeGracefully, isDisconnect } from "../shared/net/conn_helpers.ts";
import type { StallMonitor } from "../shared/net/stall_monitor.ts";
import { sleep } from "../shared/abortable.ts";
import { errorText, peerErrorText } from "../shared/error_text.ts";
import { HistoryError } from "./history/history.ts";
import type { ConnId } from "./room/outgoing.ts";
import { type BurstPool, type RateLimit, TokenBucket } from "./limits/rate_limit.ts";
import { type Peer, storeFailedText } from "./outbox.ts";
import { clientRequest } from "./client_frame.ts";
import { dispatch } from "./dispatch.ts";
import { receiveAttachment } from "./upload.ts";
import type { ServerContext } from "./server_context.ts";

/**
 * Largest payload a connection that has not joined may send in one frame:
 * a join request's avatar. Its other frames (report and quit requests, a
 * chat line that is refused anyway) carry nothing it needs.
 */
export const MAX_UNJOINED_PAYLOAD = MAX_AVATAR_BYTES;

/** Connections opened, and closed, logged a second: enough for a class, not for a flood. */
const CONNECTION_LOG = { intervalMs: 1000, lines: 20 };

/** How each connection is read and written. */
export interface PeerOptions {
  /** Milliseconds a frame may stall half-received or half-sent, or a header take to arrive. */
  stallTimeoutMs?: number;
  /** Each connection's budget (`FrameSender`'s `maxQueueBytes`). */
  maxQueueBytes?: number;
  /** Slowest a payload may arrive, in bytes a second averaged over `payloadRateWindowMs`; 0 for none. */
  minPayloadRate?: number;
  /** The window the payload rate is averaged over, in milliseconds. */
  payloadRateWindowMs?: number;
  /**
   * Milliseconds a connection that has not joined may go without sending a
   * complete frame (a report request resets it) before it is closed.
   */
  joinTimeoutMs: number;
  /** How fast each connection's frames are read; `false` for no limit. */
  rateLimit: RateLimit | false;
  /** The bursts of each address (see {@linkcode BurstPool}), or null for a full burst per connection. */
  burstPool: BurstPool | null;
  /** Times every connection's writes. */
  stallMonitor: StallMonitor;
}

/** The rate limit of a new connection from `hostname`: its burst from the address's pool. */
function rateBucket(hostname: string, options: PeerOptions): TokenBucket | null {
  if (!options.rateLimit) return null;
  // A monotonic clock: a clock stepped back must not leave an address without a burst.
  const now = performance.now();
  return options.burstPool?.open(hostname, now) ?? new TokenBucket(options.rateLimit, now);
}

/**
 * Serves connection `id` until it closes; never rejects. Its user, if it
 * joined and did not quit, is announced as left.
 */
export async function servePeer(
  conn: Deno.TcpConn,
  id: ConnId,
  options: PeerOptions,
  context: ServerContext,
): Promise<void> {
  conn.setNoDelay(true);
  const { outbox, logger } = context;
  const addr = conn.remoteAddr;
  const label = `#${id} (${addr.hostname}:${addr.port})`;
  const peer: Peer = {
    id,
    conn,
    reader: new FrameReader(conn, {
      stallTimeoutMs: options.stallTimeoutMs,
      minBytesPerSecond: options.minPayloadRate,
      rateWindowMs: options.payloadRateWindowMs,
    }),
    sender: new FrameSender(conn, {
      maxQueueBytes: options.maxQueueBytes,
      stallMonitor: options.stallMonitor,
      onError: (error) => outbox.sendFailed(label, conn, error),
    }),
    label,
  };
  const bucket = rateBucket(addr.hostname, options);
  outbox.add(peer);
  // Floods of connections must not flood the log (a slow stdout drops lines).
  logger.infoThrottled("opened", `Connection ${peer.label} opened`, CONNECTION_LOG);
  let joined = false;
  try {
    while (!context.stopping.aborted) {
      joined = awaitJoin(peer, joined, options.joinTimeoutMs, context);
      // Too fast: read this connection later; TCP backpressure slows its sender.
      const wait = bucket?.take(performance.now()) ?? 0;
      if (wait > 0) await sleep(wait, context.stopping);
      const header = await peer.reader.readHeader();
      if (!header) break;
      const request = clientRequest(header);
      try {
        if (request === "attachment") {
          await receiveAttachment(peer, header, context);
        } else {
          const max = request === "join" || !joined ? MAX_UNJOINED_PAYLOAD : MAX_MESSAGE_PAYLOAD;
          const payload = await peer.reader.readPayload(header, max);
          outbox.traceReceived(id, header, payload);
          dispatch(peer, { request, header, payload }, context);
        }
      } catch (error) {
        if (!(error instanceof HistoryError)) throw error;
        storeFailed(peer, error, context);
      }
    }
  } catch (error) {
    readFailed(peer, error, context);
  } finally {
    // What this connection was last told may be waiting for the history's group.
    outbox.release();
    outbox.remove(id);
    announceGone(id, context);
    await peer.sender.flush();
    // A peer refused mid-frame may still be sending it (a join request over
    // the limit): read on, so that it finishes and reads our ERROR before we
    // close; closing on unread bytes would send a reset that can destroy it.
    await closeGracefully(conn, { maxBytes: MAX_HEADER_SIZE + MAX_MESSAGE_PAYLOAD });
    logger.infoThrottled("closed", `Connection ${peer.label} closed`, CONNECTION_LOG);
  }
}

/**
 * Between frames: a connection that has not joined must send its next
 * complete frame within `timeoutMs` (each one restarts the time), one that
 * joined is never timed. Returns whether it has joined.
 */
function awaitJoin(
  peer: Peer,
  joined: boolean,
  timeoutMs: number,
  context: ServerContext,
): boolean {
  const now = context.room.member(peer.id) !== undefined;
  if (now) {
    if (!joined) peer.reader.setDeadline(undefined);
  } else {
    peer.reader.setDeadline(
      Date.now() + timeoutMs,
      `Cannot wait any longer: this connection has not joined the chatroom within ${
        formatDuration(timeoutMs)
      } of its last request; connect again to join`,
    );
  }
  return now;
}

/** `120000` as "2 minutes", `1500` as "1500 ms". */
function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? "" : "s"}`;
  if (ms % 1000 === 0) return `${ms / 1000} second${ms === 1000 ? "" : "s"}`;
  return `${ms} ms`;
}

/** A connection closed: if it had joined, the others hear that its user left. */
function announceGone(id: ConnId, context: ServerContext): void {
  const { room, outbox, logger } = context;
  const name = room.member(id)?.username;
  try {
    outbox.deliver(room.disconnect(id));
    if (name) {
      const why = context.stopping.aborted
        ? "was disconnected by the shutdown"
        : "disconnected without quitting";
      logger.info(`${name} ${why}; announced as left`);
    }
  } catch (error) {
    // The seat is free all the same (see Room.disconnect); only the record is missing.
    logger.info(`Cannot record that ${name} left: ${errorText(error)}`);
  }
}

/** The history could not store what a user sent: only the sender hears of it. */
function storeFailed(peer: Peer, error: HistoryError, context: ServerContext): void {
  const reason = peerErrorText(error.cause instanceof Error ? error.cause : error);
  context.logger.info(`${error.message}; ${peer.label} was told, nobody else received it`);
  context.outbox.send([peer.id], {
    flags: FLAG.ERROR,
    code: CODE.SERVER_ERROR,
    payload: storeFailedText(reason),
  });
}

/** Reading from the peer failed: a protocol error is told to it; a vanished peer is not an error. */
function readFailed(peer: Peer, error: unknown, context: ServerContext): void {
  const { logger, outbox } = context;
  if (error instanceof ProtocolError) {
    logger.infoThrottled(
      `protocol-${error.code}`,
      `Protocol error from ${peer.label}: ${error.message} [${codeName(error.code)}]; closing it`,
      CONNECTION_LOG,
    );
    outbox.send([peer.id], { flags: FLAG.ERROR, code: error.code, payload: error.message });
  } else if (!context.stopping.aborted && !isDisconnect(error)) {
    logger.info(`Error on ${peer.label}: ${errorText(error)}; closing it`);
    outbox.send([peer.id], {
      flags: FLAG.ERROR,
      code: CODE.SERVER_ERROR,
      payload: `The server failed: ${peerErrorText(error)}`,
    });
  }
}
