/**
 * The server's open connections and the one way out to them: sends what the
 * {@linkcode Room} decided to whom it decided, streams attachments and
 * replayed history after their headers, and drops a connection that falls
 * too far behind.
 *
 * @module
 */
import { encodeFrame, encodeFrameWith } from "../shared/wire/encode_frame.ts";
import { type FrameHeader, type FrameInit, normalizeFrame } from "../shared/wire/frame.ts";
import { CODE, ProtocolError } from "../shared/wire/protocol_error.ts";
import type { FrameReader } from "../shared/net/frame_reader.ts";
import type { FrameSender, PayloadSource } from "../shared/net/frame_sender.ts";
import { FrameLog } from "../shared/net/frame_log.ts";
import { FramePool } from "../shared/net/frame_pool.ts";
import type { ConnId, Outgoing } from "./room/outgoing.ts";
import type { GroupEnd, HistoryEntry, HistoryRange, HistoryStore } from "./history/history.ts";
import { FLAG } from "../shared/wire/flags.ts";
import { errorText, peerErrorText } from "../shared/error_text.ts";
import type { Logger } from "../shared/log.ts";
import { formatFrame } from "../shared/wire/trace.ts";
import { replayStream } from "./replay.ts";
import { entryBody, entryToSend } from "./entry_payload.ts";
import { entryFrame } from "./room/entry_frame.ts";
import { closeQuietly } from "../shared/net/conn_helpers.ts";
import { FIXED_HEADER_SIZE, MAX_STREAM_CHUNK } from "../shared/wire/layout.ts";
import { STREAM_LAG_BYTES, type Transfer, type TransferInfo, Transfers } from "./room/transfers.ts";
import { fileDataFrames, type GrowingFile } from "./transfer_file.ts";

/** A {@linkcode Outbox.deliver} or {@linkcode Outbox.send} held for the history's group. */
type Held = { out: Outgoing[] } | { to: ConnId[]; init: FrameInit; body?: PayloadSource };

/** What a user whose line could not be stored is told; `reason` says why, for them. */
export function storeFailedText(reason: string): string {
  return `The server could not store that, so nobody received it (${reason}). Try again later.`;
}

/** One open connection, joined or not. */
export interface Peer {
  /** The connection's id in the {@linkcode Room}. */
  id: ConnId;
  /** The socket. */
  conn: Deno.TcpConn;
  /** Reads the frames the peer sends. */
  reader: FrameReader;
  /** Queues the frames for the peer. */
  sender: FrameSender;
  /** How the log names it: `#3 (127.0.0.1:51234)`. */
  label: string;
}

/** Options for {@linkcode Outbox}. */
export interface OutboxOptions {
  /** Folder where received attachments are stored. */
  downloadsDir: string;
  /** Where drops, missing files and traces are reported. */
  logger: Logger;
  /** Log every frame sent and received. */
  trace: boolean;
  /** Where replayed history is read from, page by page. */
  history: HistoryStore;
}

/** Keeps the open connections and sends frames to them. */
export class Outbox {
  #peers = new Map<ConnId, Peer>();
  /** The replay each connection has under way or queued: at most one. */
  #replays = new Map<ConnId, AbortController>();
  /** Uploads being forwarded as they arrive. */
  #transfers = new Transfers();
  /** The file each open transfer is being written to, for receivers that fall behind. */
  #files = new Map<number, GrowingFile>();
  #options: OutboxOptions;
  /** Every frame sent to more than one connection, in order (see {@linkcode FrameLog}). */
  #log = new FrameLog();
  /** Buffers of DATA frames, used again once every receiver has written them. */
  #dataFrames = new FramePool(FIXED_HEADER_SIZE + MAX_STREAM_CHUNK);

  /** What waits for the history's group of chat lines, in order (see {@linkcode deliver}). */
  #held: Held[] = [];

  /** Starts with no connections. */
  constructor(options: OutboxOptions) {
    this.#options = options;
    options.history.onGroupEnd?.((end) => this.#groupEnded(end));
  }

  /** The connections open now. */
  get peers(): IterableIterator<Peer> {
    return this.#peers.values();
  }

  /** Starts sending to a connection. */
  add(peer: Peer): void {
    this.#peers.set(peer.id, peer);
  }

  /**
   * Sends what waits for the history's group now, committing it early: for
   * a connection about to close, whose last frames (an error, say) must
   * reach its queue before it is flushed.
   */
  release(): void {
    this.#options.history.commitGroup?.();
  }

  /** Stops sending to a connection: frames for it from now on are dropped. */
  remove(id: ConnId): void {
    this.#peers.delete(id);
    this.#replays.get(id)?.abort();
    this.#replays.delete(id);
    this.#transfers.forget(id);
  }

  /**
   * Sends what the room decided, in order. While the history holds chat
   * lines not yet committed, it waits with them (and so does
   * {@linkcode send}): nobody is sent a line the history may still lose,
   * and what follows it is not sent before it.
   */
  deliver(out: Outgoing[]): void {
    if (this.#options.history.uncommitted) {
      this.#held.push({ out });
      return;
    }
    for (const item of out) {
      switch (item.kind) {
        case "frame":
          this.#sendNow(item.to, item.frame);
          break;
        case "live":
          this.#live(item.to, item.entry);
          break;
        case "replay":
          this.#replay(item.to, item);
          break;
        case "stream":
          this.#stream(item.to, item.frames);
          break;
        case "end":
          this.#end(item.transfer, item.entry);
          break;
      }
    }
  }

  /**
   * Sends one frame (and a streamed body after it) to each connection in
   * `to` still open; while the history holds uncommitted chat lines, after
   * them (see {@linkcode deliver}).
   */
  send(to: ConnId[], init: FrameInit, body?: PayloadSource): void {
    if (this.#options.history.uncommitted) {
      this.#held.push({ to, init, body });
      return;
    }
    this.#sendNow(to, init, body);
  }

  /**
   * The history's group of chat lines ended: what waited for it goes out,
   * in order. If the group was lost, its lines go to nobody, and each
   * sender is told, as when a line cannot be stored at once.
   */
  #groupEnded(end: GroupEnd): void {
    const held = this.#held;
    this.#held = [];
    const lost: Extract<Outgoing, { kind: "live" }>[] = [];
    for (const item of held) {
      // One that fails must not keep the rest from going out.
      try {
        if (!("out" in item)) {
          this.#sendNow(item.to, item.init, item.body);
          continue;
        }
        this.deliver(
          end.ok ? item.out : item.out.filter((out) => {
            const gone = out.kind === "live" && out.entry.seq >= end.fromSeq &&
              out.entry.seq <= end.toSeq;
            if (gone) lost.push(out);
            return !gone;
          }),
        );
      } catch (error) {
        this.#options.logger.info(`Cannot send what waited for the history: ${errorText(error)}`);
      }
    }
    if (end.ok) return;
    this.#options.logger.info(
      `${end.error.message}; ${lost.length} chat line(s) were lost, their senders were told, nobody received them`,
    );
    const reason = peerErrorText(end.error.cause instanceof Error ? end.error.cause : end.error);
    for (const line of lost) {
      if (line.from === undefined) continue;
      this.#sendNow([line.from], {
        flags: FLAG.ERROR,
        code: CODE.SERVER_ERROR,
        payload: storeFailedText(reason),
      });
    }
  }

  /**
   * {@linkcode send} at once. A frame for several goes through the broadcast
   * log: a receiver that is behind holds a run of it, not a reference per
   * frame.
   */
  #sendNow(to: ConnId[], init: FrameInit, body?: PayloadSource): void {
    const bytes = encodeFrame(init);
    if (body || to.length < 2) {
      for (const id of to) {
        if (!this.#peers.has(id)) continue;
        this.#traceSent(init, id);
        this.#enqueue(id, bytes, body);
      }
      return;
    }
    this.#log.append(bytes);
    for (const id of to) {
      const peer = this.#peers.get(id);
      if (!peer) continue;
      this.#traceSent(init, id);
      if (!peer.sender.sendLogged(this.#log)) this.#dropGone(peer);
    }
  }

  /**
   * Opens a transfer of an upload that is starting, to those of `to` with
   * room for one more (see {@linkcode Transfers.open}), and sends them its
   * BEGIN. The others get the classic frame once it is stored.
   */
  beginTransfer(info: TransferInfo, to: ConnId[], file: GrowingFile): Transfer {
    const transfer = this.#transfers.open(info, to.filter((id) => this.#peers.has(id)));
    this.#files.set(transfer.id, file);
    // At once, whatever waits for the history: the DATA frames that follow are not held.
    if (transfer.receivers.length) this.#sendNow(transfer.receivers, transfer.beginFrame());
    return transfer;
  }

  /**
   * The next bytes of an upload, as they arrive: one DATA frame (the one
   * copy of `chunk`, which the reader reuses, into a pooled buffer), queued to every receiver
   * still live. One whose queue would pass {@linkcode STREAM_LAG_BYTES} is
   * behind from here on. Never waits: the uploader does not wait on anyone.
   */
  forward(transfer: Transfer, chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length; at += MAX_STREAM_CHUNK) {
      const part = chunk.subarray(at, Math.min(chunk.length, at + MAX_STREAM_CHUNK));
      const live = transfer.live;
      if (live.length) this.#forwardPart(transfer, live, part);
      transfer.advance(part.length);
    }
  }

  #forwardPart(transfer: Transfer, live: ConnId[], part: Uint8Array): void {
    const init = transfer.dataFrame(part);
    const frame = this.#dataFrames.frame((alloc) => encodeFrameWith(init, alloc));
    // Held here until queued everywhere; each sender holds it until written.
    try {
      for (const id of live) {
        const peer = this.#peers.get(id);
        if (!peer) {
          transfer.drop(id);
          continue;
        }
        if (peer.sender.queuedBytes + frame.bytes.length > STREAM_LAG_BYTES) {
          this.#fallBehind(transfer, peer);
          continue;
        }
        if (this.#options.trace) {
          this.#traceSent({ ...init, payload: undefined, payloadLength: part.length }, id);
        }
        if (!peer.sender.sendPooled(frame)) this.#dropGone(peer);
      }
    } finally {
      frame.release();
    }
  }

  /**
   * Receiver `peer` would have more than {@linkcode STREAM_LAG_BYTES} queued:
   * it gets no more DATA live, but a stream job that reads the rest from the
   * server's copy as it is written, as fast as the connection takes it, and
   * ends with END (or stops for the DISCARD queued after it). The uploader
   * and the other receivers go on as before.
   */
  #fallBehind(transfer: Transfer, peer: Peer): void {
    const file = this.#files.get(transfer.id)!;
    const from = transfer.forwarded;
    transfer.fallBehind(peer.id);
    this.#options.logger.info(
      `${peer.label} is behind on transfer ${transfer.id} at byte ${from}; it gets the rest from the server's file`,
    );
    const queued = peer.sender.stream((hold) =>
      fileDataFrames({
        file,
        from,
        transfer,
        hold,
        logger: this.#options.logger,
        onFrame: (frame: FrameInit) => this.#traceSent(frame, peer.id),
        onUnreadable: () => transfer.drop(peer.id),
      })
    );
    if (!queued) this.#dropGone(peer);
  }

  /**
   * The upload failed (broke off, failed its digest, could not be stored or
   * recorded, or the server is shutting down): every receiver of the
   * transfer, live or behind, is told to discard it, and why.
   */
  discard(transfer: Transfer, reason: string): void {
    if (this.#transfers.get(transfer.id) !== transfer) return;
    this.#transfers.close(transfer);
    this.#files.get(transfer.id)?.failed();
    this.#files.delete(transfer.id);
    // At once, as BEGIN and DATA went: a transfer's frames never wait for the history's group.
    this.#sendNow(transfer.receivers, transfer.discardFrame(reason));
  }

  /** Is `transfer` still open (neither ended nor discarded)? */
  isOpen(transfer: Transfer): boolean {
    return this.#transfers.get(transfer.id) === transfer;
  }

  /**
   * The upload of `id` is stored and recorded as `entry`: END to the live
   * receivers; those behind get it from their stream job after the rest.
   */
  #end(id: number, entry: HistoryEntry): void {
    const transfer = this.#transfers.get(id);
    if (!transfer) return;
    this.#transfers.close(transfer);
    const end = transfer.endFrame(entry);
    this.#files.get(id)?.stored(
      `${this.#options.downloadsDir}/${entry.attachment!.storedName}`,
      end,
    );
    this.#files.delete(id);
    this.send(transfer.live, end);
  }

  /** Logs a frame received from connection `id`, if tracing; `payload` if it is in memory. */
  traceReceived(id: ConnId, header: FrameHeader, payload?: Uint8Array): void {
    if (this.#options.trace) {
      this.#options.logger.raw(`${formatFrame("recv", header, payload)} from=#${id}`);
    }
  }

  /**
   * A write failed: the peer went away, or stopped reading for the stall
   * timeout. Meant as a {@linkcode FrameSender}'s `onError`.
   */
  sendFailed(label: string, conn: Deno.TcpConn, error: unknown): void {
    if (error instanceof ProtocolError) this.#dropLagging(label, conn, `: ${error.message}`);
    else closeQuietly(conn);
  }

  /**
   * Frames that go out one after another, each encoded only when the
   * connection is ready for it, charged one encoded frame at a time (a
   * joiner's avatars are megabytes together; the images belong to the room).
   */
  #stream(id: ConnId, frames: FrameInit[]): void {
    const peer = this.#peers.get(id);
    if (!peer) return;
    if (!peer.sender.stream((hold) => this.#encoded(frames, id, hold))) this.#dropGone(peer);
  }

  async *#encoded(
    frames: FrameInit[],
    id: ConnId,
    hold: (bytes: number) => void,
  ): AsyncGenerator<Uint8Array> {
    for (const frame of frames) {
      this.#traceSent(frame, id);
      const bytes = encodeFrame(frame);
      hold(bytes.length);
      yield bytes;
    }
  }

  /** A history entry just stored: a chat line or announcement from memory, a file from disk. */
  #live(to: ConnId[], entry: HistoryEntry): void {
    if (!entry.attachment) return this.#sendNow(to, entryFrame(entry, false));
    const toSend = entryToSend(entry, false, this.#options);
    this.#sendNow(to, toSend.frame, entryBody(toSend));
  }

  /**
   * A joiner's history: read page by page as the connection takes it. One
   * replay per connection: a new one (it quit and joined again) cancels the
   * one before, whose rest is not sent; the JOIN_ACCEPT queued since is then
   * followed by exactly its own history.
   */
  #replay(id: ConnId, range: HistoryRange): void {
    const peer = this.#peers.get(id);
    if (!peer) return;
    this.#replays.get(id)?.abort();
    const cancel = new AbortController();
    this.#replays.set(id, cancel);
    const options = {
      ...this.#options,
      signal: cancel.signal,
      onFrame: (frame: FrameInit) => this.#traceSent(frame, id),
    };
    const replays = this.#replays;
    const queued = peer.sender.stream(async function* (hold) {
      try {
        yield* replayStream(options.history, range, { ...options, hold });
      } finally {
        if (replays.get(id) === cancel) replays.delete(id);
      }
    }, { signal: cancel.signal });
    if (!queued) this.#dropGone(peer);
  }

  /** Queues bytes (and a streamed body) for one connection; drops it if it is too far behind. */
  #enqueue(id: ConnId, bytes: Uint8Array, body?: PayloadSource): void {
    const peer = this.#peers.get(id);
    if (!peer) return;
    if (!peer.sender.send(bytes, body)) this.#dropGone(peer);
  }

  #dropGone(peer: Peer): void {
    this.#dropLagging(peer.label, peer.conn, " (or gone)");
  }

  #dropLagging(label: string, conn: Deno.TcpConn, why: string): void {
    this.#options.logger.info(`${label} is too far behind${why}; disconnecting it`);
    closeQuietly(conn);
  }

  #traceSent(init: FrameInit, id: ConnId): void {
    if (this.#options.trace) {
      const { header, payload } = normalizeFrame(init);
      this.#options.logger.raw(`${formatFrame("send", header, payload)} to=#${id}`);
    }
  }
}
