/**
 * The attachments a server forwards while they are still arriving
 * (cut-through, `JOIN_OPTION.STREAM`): each a transfer of STREAM frames —
 * BEGIN, DATA…, then END or DISCARD — interleaved with everything else.
 * Nothing the server sends is trusted: a frame that breaks the rules of a
 * transfer throws a {@linkcode StreamViolation} (the session then closes
 * the connection and {@linkcode StreamTransfers.abortAll} removes what was
 * begun).
 *
 * @module
 */
import { FLAG, hasFlag } from "../shared/wire/flags.ts";
import { type FrameHeader } from "../shared/wire/frame.ts";
import { MAX_STREAM_CHUNK } from "../shared/wire/layout.ts";
import { CODE } from "../shared/wire/protocol_error.ts";
import { getUint64, toHex } from "../shared/wire/wire_bytes.ts";
import { sameBytes } from "../shared/wire/bytes.ts";
import type { FrameReader } from "../shared/net/frame_reader.ts";
import { IncomingFile } from "../shared/files/incoming_file.ts";
import { FileCheckError, type ReceivedFile } from "../shared/files/receive_file.ts";
import { safeFileName } from "../shared/files/safe_file_name.ts";
import { errorText } from "../shared/error_text.ts";
import { decodeText } from "../shared/text.ts";
import type { ProgressListener } from "./attachment_streams.ts";
import { downloadRefusal, type FreeSpace } from "./download_limit.ts";
import { attachmentEvent, type RoomEvent } from "./room_event.ts";
import { StreamViolation } from "./stream_violation.ts";
import type { UploadLedger } from "./upload_ledger.ts";

/**
 * Most transfers a server may keep open on one connection at once (the
 * contract's server opens at most 8); one more is a protocol error.
 */
export const MAX_OPEN_TRANSFERS = 16;

/** Bytes of a transfer that may wait for the disk before frame reading waits too. */
const MAX_QUEUED_PER_TRANSFER = 1024 * 1024;

/** FLAGS of the three kinds of STREAM frame; any other combination is refused. */
const BEGIN_FLAGS = FLAG.ATTACHMENT | FLAG.STREAM;
const DISCARD_FLAGS = FLAG.STREAM | FLAG.ERROR;

/** Options for {@linkcode StreamTransfers}. */
export interface StreamTransfersOptions {
  /** Folder where received attachments are saved. */
  downloadsDir: string;
  /** Leading bytes of each file kept in memory (to print text files). */
  keepHead: number;
  /** Largest attachment saved, in bytes; bigger ones are read and dropped. */
  maxBytes: number;
  /** Tells the free bytes in the downloads folder, if it can. */
  freeSpace?: FreeSpace;
  /** Told after every DATA frame of a file being saved. */
  onProgress?: ProgressListener;
}

/** What {@linkcode StreamTransfers.handle} needs to know of the session now. */
export interface StreamContext {
  /** The session's unconfirmed uploads. */
  uploads: UploadLedger;
  /** The session's username, or `null` if not in the room. */
  username: string | null;
}

/** One open transfer. */
interface Transfer {
  id: number;
  /** The BEGIN frame's header (sender, filename, digest, time). */
  begin: FrameHeader;
  size: number;
  received: number;
  /** Where the bytes go; `null` when the file is read and dropped. */
  file: IncomingFile | null;
  /** Why the file is dropped, when it is. */
  refusal: string | null;
}

/** The transfers open on one connection. */
export class StreamTransfers {
  #options: StreamTransfersOptions;
  #open = new Map<number, Transfer>();

  /** Creates the set, with no transfer open. */
  constructor(options: StreamTransfersOptions) {
    this.#options = options;
  }

  /** How many transfers are open. */
  get openCount(): number {
    return this.#open.size;
  }

  /**
   * Handles the STREAM frame whose header was just read, payload included,
   * and returns the event to show: for END the attachment (saved or why
   * not), for DISCARD the notice; `null` for BEGIN and DATA.
   *
   * @throws {StreamViolation} for a frame that breaks the contract.
   */
  async handle(
    reader: FrameReader,
    header: FrameHeader,
    context: StreamContext,
  ): Promise<RoomEvent | null> {
    if (header.flags === BEGIN_FLAGS) {
      await this.#begin(reader, header);
      return null;
    }
    if (header.flags === FLAG.STREAM && header.payloadLength > 0) {
      await this.#data(reader, header);
      return null;
    }
    if (header.flags === FLAG.STREAM) return await this.#end(header, context);
    if (header.flags === DISCARD_FLAGS) return await this.#discard(reader, header);
    throw new StreamViolation(
      `a STREAM frame with flags 0x${header.flags.toString(16)}, which is none of BEGIN, DATA, ` +
        `END and DISCARD`,
    );
  }

  /** Removes every open transfer's temporary file (the connection is gone). */
  async abortAll(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    for (const transfer of open) this.#stopProgress(transfer);
    await Promise.all(open.map((transfer) => transfer.file?.abort()));
  }

  async #begin(reader: FrameReader, header: FrameHeader): Promise<void> {
    const id = header.number;
    if (id === 0) throw new StreamViolation("BEGIN for transfer 0, which is not a transfer id");
    if (this.#open.has(id)) {
      throw new StreamViolation(`BEGIN for transfer ${id}, which is already open`);
    }
    if (this.#open.size >= MAX_OPEN_TRANSFERS) {
      throw new StreamViolation(
        `BEGIN for transfer ${id} while ${this.#open.size} transfers are open, ` +
          `over the limit of ${MAX_OPEN_TRANSFERS}`,
      );
    }
    if (header.payloadLength !== 8) {
      throw new StreamViolation(
        `BEGIN for transfer ${id} with a payload of ${header.payloadLength} bytes, ` +
          `not the 8 bytes of a file size`,
      );
    }
    const payload = await reader.readPayload(header, 8);
    const size = getUint64(payload, 0, (value) => {
      throw new StreamViolation(
        `BEGIN for transfer ${id} announces ${value} bytes, over the largest size of 2^53 - 1`,
      );
    });
    const transfer: Transfer = { id, begin: header, size, received: 0, file: null, refusal: null };
    // Registered before anything is awaited, so abortAll() sees it whatever happens next.
    this.#open.set(id, transfer);
    const { downloadsDir, keepHead, maxBytes, freeSpace } = this.#options;
    transfer.refusal = await downloadRefusal(
      { ...header, payloadLength: size },
      { downloadsDir, maxBytes, freeSpace },
    );
    if (transfer.refusal !== null) return;
    try {
      // Never trust the server with a path: "../x" or, on Windows, "..\x" would escape.
      const file = await IncomingFile.open(downloadsDir, safeFileName(header.filename), {
        size,
        sha256: header.sha256.length ? header.sha256 : undefined,
        keepHead,
        reuseIdentical: true,
        maxQueued: MAX_QUEUED_PER_TRANSFER,
      });
      if (this.#open.get(id) === transfer) transfer.file = file;
      else await file.abort(); // the connection ended while the file was created
    } catch (error) {
      transfer.refusal = errorText(error);
    }
  }

  async #data(reader: FrameReader, header: FrameHeader): Promise<void> {
    const id = header.number;
    const length = header.payloadLength;
    if (length > MAX_STREAM_CHUNK) {
      throw new StreamViolation(
        `DATA for transfer ${id} of ${length} bytes, over the limit of ${MAX_STREAM_CHUNK}`,
      );
    }
    const transfer = this.#opened(id, "DATA");
    if (transfer.received + length > transfer.size) {
      throw new StreamViolation(
        `DATA for transfer ${id} runs to byte ${transfer.received + length}, ` +
          `past its size of ${transfer.size} bytes`,
      );
    }
    // A payload of its own (not a reused buffer): it may wait in the file's queue.
    const chunk = await reader.readWholePayload(header, MAX_STREAM_CHUNK);
    transfer.received += length;
    if (!transfer.file) return;
    this.#options.onProgress?.({
      direction: "download",
      filename: transfer.begin.filename,
      id,
      done: transfer.received,
      total: transfer.size,
    });
    await transfer.file.push(chunk);
  }

  async #end(header: FrameHeader, context: StreamContext): Promise<RoomEvent> {
    const id = header.number;
    const transfer = this.#opened(id, "END");
    if (transfer.received < transfer.size) {
      throw new StreamViolation(
        `END for transfer ${id} after ${transfer.received} of its ${transfer.size} bytes`,
      );
    }
    const { begin } = transfer;
    if (
      header.sender !== begin.sender || header.filename !== begin.filename ||
      !sameBytes(header.sha256, begin.sha256)
    ) {
      throw new StreamViolation(
        `END for transfer ${id} names ${JSON.stringify(header.filename)} from ` +
          `${JSON.stringify(header.sender)}, but its BEGIN named ${
            JSON.stringify(begin.filename)
          } ` +
          `from ${JSON.stringify(begin.sender)} (or another digest)`,
      );
    }
    this.#open.delete(id);
    if (header.sender === context.username) {
      // Our own file, forwarded by a server that did not ECHO it: no longer waiting.
      context.uploads.take(toHex(header.sha256));
    }
    const file = await this.#save(transfer);
    return attachmentEvent(header, file, transfer.size);
  }

  async #save(transfer: Transfer): Promise<ReceivedFile | { error: string }> {
    if (!transfer.file) return { error: transfer.refusal ?? "it was not saved" };
    try {
      return await transfer.file.finish();
    } catch (error) {
      if (error instanceof FileCheckError) return { error: error.message };
      return { error: errorText(error) };
    }
  }

  async #discard(reader: FrameReader, header: FrameHeader): Promise<RoomEvent> {
    const id = header.number;
    if (header.code !== CODE.ATTACHMENT_DISCARDED) {
      throw new StreamViolation(
        `DISCARD for transfer ${id} with code ${header.code}, not ATTACHMENT_DISCARDED ` +
          `(${CODE.ATTACHMENT_DISCARDED})`,
      );
    }
    const transfer = this.#opened(id, "DISCARD");
    const reason = decodeText(await reader.readPayload(header));
    this.#open.delete(id);
    this.#stopProgress(transfer);
    await transfer.file?.abort();
    return {
      type: "discarded",
      timestamp: header.timestamp || Date.now(),
      sender: transfer.begin.sender,
      filename: transfer.begin.filename,
      reason,
    };
  }

  /** The open transfer `id`, which a `kind` frame names. */
  #opened(id: number, kind: string): Transfer {
    const transfer = this.#open.get(id);
    if (!transfer) throw new StreamViolation(`${kind} for transfer ${id}, which is not open`);
    return transfer;
  }

  /** Tells the progress display a transfer it may show is over, though short of its size. */
  #stopProgress(transfer: Transfer): void {
    if (!transfer.file || transfer.received === 0) return;
    this.#options.onProgress?.({
      direction: "download",
      filename: transfer.begin.filename,
      id: transfer.id,
      done: transfer.size,
      total: transfer.size,
    });
  }
}

/** True if `header` is a STREAM frame, which {@linkcode StreamTransfers.handle} takes. */
export function isStreamFrame(header: FrameHeader): boolean {
  return hasFlag(header, FLAG.STREAM);
}
