/**
 * One connection's life on the server: frames read and checked as they
 * arrive, handed to dispatch or the upload, errors told to the peer, and
 * its user announced as left when it closes.
 *
 * @module
 */
import { CODE, codeName, ProtocolError } from "../shared/wire/protocol_error.ts";
import { FLAG } from "../shared/wire/flags.ts";
import { MAX_MESSAGE_PAYLOAD } from "../shared/wire/layout.ts";
import { FrameReader } from "../shared/net/frame_reader.ts";
import { FrameSender } from "../shared/net/frame_sender.ts";
import { closeGracefully, isDisconnect } from "../shared/net/conn_helpers.ts";
import type { StallMonitor } from "../shared/net/stall_monitor.ts";
import { sleep } from "../shared/abortable.ts";
import { errorText, peerErrorText } from "../shared/error_text.ts";
import { HistoryError } from "./history/history.ts";
import type { ConnId } from "./room/outgoing.ts";
import { type RateLimit, TokenBucket } from "./limits/rate_limit.ts";
import type { Peer } from "./outbox.ts";
import { clientRequest } from "./client_frame.ts";
import { dispatch } from "./dispatch.ts";
import { receiveAttachment } from "./upload.ts";
import type { ServerContext } from "./server_context.ts";

/** How each connection is read and written. */
export interface PeerOptions {
  /** Milliseconds a frame may stall half-received or half-sent. */
  stallTimeoutMs?: number;
  /** Each connection's budget (`FrameSender`'s `maxQueueBytes`). */
  maxQueueBytes?: number;
  /** How fast each connection's frames are read; `false` for no limit. */
  rateLimit: RateLimit | false;
  /** Times every connection's writes. */
  stallMonitor: StallMonitor;
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
    reader: new FrameReader(conn, { stallTimeoutMs: options.stallTimeoutMs }),
    sender: new FrameSender(conn, {
      maxQueueBytes: options.maxQueueBytes,
      stallMonitor: options.stallMonitor,
      onError: (error) => outbox.sendFailed(label, conn, error),
    }),
    label,
  };
  const bucket = options.rateLimit ? new TokenBucket(options.rateLimit, Date.now()) : null;
  outbox.add(peer);
  logger.info(`Connection ${peer.label} opened`);
  try {
    while (!context.stopping.aborted) {
      // Too fast: read this connection later; TCP backpressure slows its sender.
      const wait = bucket?.take(Date.now()) ?? 0;
      if (wait > 0) await sleep(wait, context.stopping);
      const header = await peer.reader.readHeader();
      if (!header) break;
      const request = clientRequest(header);
      try {
        if (request === "attachment") {
          await receiveAttachment(peer, header, context);
        } else {
          const payload = await peer.reader.readPayload(header, MAX_MESSAGE_PAYLOAD);
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
    outbox.remove(id);
    announceGone(id, context);
    await peer.sender.flush();
    await closeGracefully(conn);
    logger.info(`Connection ${peer.label} closed`);
  }
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
    payload: `The server could not store that, so nobody received it (${reason}). Try again later.`,
  });
}

/** Reading from the peer failed: a protocol error is told to it; a vanished peer is not an error. */
function readFailed(peer: Peer, error: unknown, context: ServerContext): void {
  const { logger, outbox } = context;
  if (error instanceof ProtocolError) {
    logger.info(
      `Protocol error from ${peer.label}: ${error.message} [${codeName(error.code)}]; closing it`,
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
