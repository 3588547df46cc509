/**
 * Attachments forwarded as they arrive ("Attachments as they arrive" in
 * `docs/PROTOCOL.md`), as plain state: which transfers are open, to whom,
 * which receivers fell behind and at which byte, and the frames of a
 * transfer. No sockets, files or timers: the outbox asks and sends.
 *
 * @module
 */
import { FLAG } from "../../shared/wire/flags.ts";
import type { FrameInit } from "../../shared/wire/frame.ts";
import { CODE } from "../../shared/wire/protocol_error.ts";
import { putUint64 } from "../../shared/wire/wire_bytes.ts";
import type { HistoryEntry } from "../history/history.ts";
import type { ConnId } from "./outgoing.ts";

/** Most transfers open at once on one connection; a receiver past it gets the classic frame. */
export const MAX_OPEN_TRANSFERS = 8;

/**
 * A receiver whose queue would pass this many bytes stops getting DATA live:
 * it is "behind", and gets the rest from the stored file (1 MiB).
 */
export const STREAM_LAG_BYTES = 1024 * 1024;

/** What the BEGIN frame of a transfer says about the upload. */
export interface TransferInfo {
  /** The uploader's username. */
  sender: string;
  /** The safe base name of the file. */
  filename: string;
  /** The SHA-256 the uploader declared. */
  sha256: Uint8Array;
  /** The file's size in bytes. */
  size: number;
  /** When the server began receiving it, in milliseconds since the Unix epoch. */
  timestamp: number;
}

/**
 * One upload forwarded to its receivers: each is live (it gets every DATA
 * frame as the bytes arrive) or behind from some byte on (it gets the rest
 * from the stored file, once there is one).
 */
export class Transfer {
  /** The transfer's id: NUMBER of every frame of it. */
  readonly id: number;
  /** What BEGIN announced. */
  readonly info: TransferInfo;
  /** Each receiver: `null` while live, or the byte it fell behind at. */
  #receivers: Map<ConnId, number | null>;
  /** Payload bytes forwarded so far (to the receivers still live). */
  #forwarded = 0;

  /** A transfer to `receivers`, every one live. */
  constructor(id: number, info: TransferInfo, receivers: ConnId[]) {
    this.id = id;
    this.info = info;
    this.#receivers = new Map(receivers.map((r) => [r, null]));
  }

  /** Every receiver, live or behind. */
  get receivers(): ConnId[] {
    return [...this.#receivers.keys()];
  }

  /** The receivers that still get DATA as it arrives. */
  get live(): ConnId[] {
    return [...this.#receivers].filter(([, at]) => at === null).map(([id]) => id);
  }

  /** The receivers that fell behind, each with the first byte it has not been sent. */
  get behind(): { id: ConnId; at: number }[] {
    return [...this.#receivers].filter(([, at]) => at !== null).map(([id, at]) => ({
      id,
      at: at!,
    }));
  }

  /** Payload bytes forwarded live so far. */
  get forwarded(): number {
    return this.#forwarded;
  }

  /** `n` more bytes were forwarded to the live receivers. */
  advance(n: number): void {
    this.#forwarded += n;
  }

  /** Receiver `id` gets no more DATA live: it has every byte before {@linkcode forwarded}. */
  fallBehind(id: ConnId): void {
    if (this.#receivers.get(id) === null) this.#receivers.set(id, this.#forwarded);
  }

  /** Receiver `id` is gone: nothing more is sent to it. */
  drop(id: ConnId): void {
    this.#receivers.delete(id);
  }

  /** The BEGIN frame: ATTACHMENT|STREAM, the file's size as 8 payload bytes. */
  beginFrame(): FrameInit {
    const size = new Uint8Array(8);
    putUint64(size, 0, this.info.size);
    return {
      flags: FLAG.ATTACHMENT | FLAG.STREAM,
      number: this.id,
      timestamp: this.info.timestamp,
      sender: this.info.sender,
      filename: this.info.filename,
      sha256: this.info.sha256,
      payload: size,
    };
  }

  /** A DATA frame with the next bytes (1 to MAX_STREAM_CHUNK of them). */
  dataFrame(bytes: Uint8Array): FrameInit {
    return { flags: FLAG.STREAM, number: this.id, payload: bytes };
  }

  /** The END frame: the file is stored and recorded as `entry`. */
  endFrame(entry: HistoryEntry): FrameInit {
    return transferEndFrame(this.id, entry);
  }

  /** The DISCARD frame: the upload failed, for `reason`. */
  discardFrame(reason: string): FrameInit {
    return {
      flags: FLAG.STREAM | FLAG.ERROR,
      code: CODE.ATTACHMENT_DISCARDED,
      number: this.id,
      payload: reason,
    };
  }
}

/** The END frame of transfer `id`, recorded as `entry`: its time, sender, name and digest. */
export function transferEndFrame(id: number, entry: HistoryEntry): FrameInit {
  const file = entry.attachment!;
  return {
    flags: FLAG.STREAM,
    number: id,
    timestamp: entry.timestamp,
    sender: entry.username,
    filename: file.filename,
    sha256: file.sha256,
  };
}

/**
 * The transfers open on the server: ids from one counter (never 0), and how
 * many each connection has open, so that none gets more than
 * {@linkcode MAX_OPEN_TRANSFERS} at once.
 */
export class Transfers {
  #next = 1;
  #open = new Map<number, Transfer>();
  /** The receivers each open transfer holds a slot of (those dropped since included). */
  #slots = new Map<number, ConnId[]>();
  #perConn = new Map<ConnId, number>();

  /**
   * Opens a transfer of `info` to those of `candidates` with fewer than
   * {@linkcode MAX_OPEN_TRANSFERS} open (the others get the classic frame).
   */
  open(info: TransferInfo, candidates: ConnId[]): Transfer {
    const to = candidates.filter((id) => (this.#perConn.get(id) ?? 0) < MAX_OPEN_TRANSFERS);
    const transfer = new Transfer(this.#nextId(), info, to);
    this.#open.set(transfer.id, transfer);
    this.#slots.set(transfer.id, to);
    for (const id of to) this.#perConn.set(id, (this.#perConn.get(id) ?? 0) + 1);
    return transfer;
  }

  /** The open transfer with this id, if any. */
  get(id: number): Transfer | undefined {
    return this.#open.get(id);
  }

  /** How many transfers connection `id` has open. */
  openOn(id: ConnId): number {
    return this.#perConn.get(id) ?? 0;
  }

  /** The transfer ended (END or DISCARD queued to every receiver): its slots are free. */
  close(transfer: Transfer): void {
    if (this.#open.get(transfer.id) !== transfer) return;
    this.#open.delete(transfer.id);
    const slots = this.#slots.get(transfer.id)!;
    this.#slots.delete(transfer.id);
    for (const id of slots) {
      if (!this.#perConn.has(id)) continue; // forgotten: closed
      const n = (this.#perConn.get(id) ?? 1) - 1;
      if (n > 0) this.#perConn.set(id, n);
      else this.#perConn.delete(id);
    }
  }

  /** Connection `id` closed: it is no receiver of any transfer any more. */
  forget(id: ConnId): void {
    this.#perConn.delete(id);
    for (const transfer of this.#open.values()) transfer.drop(id);
  }

  #nextId(): number {
    // After 2^32 − 1 transfers the counter wraps, skipping ids still open.
    let id = this.#next;
    while (this.#open.has(id)) id = id === 0xffff_ffff ? 1 : id + 1;
    this.#next = id === 0xffff_ffff ? 1 : id + 1;
    return id;
  }
}
