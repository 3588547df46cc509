/**
 * The rest of a transfer for a receiver that fell behind: DATA frames read
 * from the stored file from the byte it fell behind at, then END (or
 * DISCARD, if the file cannot be read to its end).
 *
 * @module
 */
import { encodeFrame } from "../shared/wire/encode_frame.ts";
import type { FrameInit } from "../shared/wire/frame.ts";
import { MAX_STREAM_CHUNK } from "../shared/wire/layout.ts";
import { formatBytes } from "../shared/format.ts";
import { errorText } from "../shared/error_text.ts";
import type { Logger } from "../shared/log.ts";
import type { Transfer } from "./room/transfers.ts";

/** What {@linkcode fileDataFrames} sends. */
export interface FileDataOptions {
  /** The stored file. */
  path: string;
  /** The first byte the receiver has not been sent. */
  from: number;
  /** The transfer (its id and size). */
  transfer: Transfer;
  /** The END frame to send after the last byte. */
  end: FrameInit;
  /** Told how much the stream holds in memory now (the read buffer, an encoded frame). */
  hold: (bytes: number) => void;
  /** Called with each frame before it is sent (tracing). */
  onFrame: (frame: FrameInit) => void;
  /** Where a file that cannot be read is reported. */
  logger: Logger;
}

/**
 * Bytes `from` … size of the file as DATA frames of at most
 * MAX_STREAM_CHUNK, each header followed by the read buffer itself (one
 * buffer, reused: the sender writes each piece before it asks for the
 * next), then the END frame. A file gone or cut short ends the stream with
 * a DISCARD instead: the receiver must not keep what it cannot check.
 */
export async function* fileDataFrames(options: FileDataOptions): AsyncGenerator<Uint8Array> {
  const { transfer, path } = options;
  const size = transfer.info.size;
  const buf = new Uint8Array(Math.min(MAX_STREAM_CHUNK, Math.max(1, size - options.from)));
  options.hold(buf.length);
  let at = options.from;
  let file: Deno.FsFile | undefined;
  let failure: string | undefined;
  try {
    file = await Deno.open(path, { read: true });
    if (at > 0) await file.seek(at, Deno.SeekMode.Start);
    while (at < size) {
      const n = await file.read(buf.subarray(0, Math.min(buf.length, size - at)));
      if (n === null) {
        failure = `the stored file ends after ${formatBytes(at)}`;
        break;
      }
      const init = transfer.dataFrame(buf.subarray(0, n));
      options.onFrame({ ...init, payload: undefined, payloadLength: n });
      yield encodeFrame({ ...init, payload: undefined, payloadLength: n });
      yield buf.subarray(0, n);
      at += n;
    }
  } catch (error) {
    failure = errorText(error);
  } finally {
    file?.close();
  }
  if (failure !== undefined) {
    options.logger.info(`Cannot send the rest of ${path} (transfer ${transfer.id}): ${failure}`);
    const discard = transfer.discardFrame(
      `The server could not send the rest of ${transfer.info.filename}; discard it.`,
    );
    options.onFrame(discard);
    yield encodeFrame(discard);
    return;
  }
  options.onFrame(options.end);
  yield encodeFrame(options.end);
}
