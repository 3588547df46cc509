/**
 * The rest of a transfer for a receiver that fell behind: DATA frames read
 * from the server's own copy of the upload from the byte it fell behind at,
 * as that copy is written, then END once the file is stored and recorded
 * (or nothing more, if the upload fails: the DISCARD queued after it says so).
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

/**
 * The upload's file on the server's disk while it is received: where it is,
 * how much of it is written, and how the upload ended. Readers wait on it
 * for more.
 */
export class GrowingFile {
  /** Its path (the hidden temporary file; a handle opened on it survives the rename). */
  path = "";
  /** Bytes written to it so far. */
  written = 0;
  /** The END frame once the upload is stored and recorded; `null` once it failed. */
  outcome: FrameInit | null | undefined = undefined;
  #wake = Promise.withResolvers<void>();

  /** More bytes are written (receiveFile's `onWritten`). */
  grew(path: string, written: number): void {
    this.path = path;
    this.written = written;
    this.#notify();
  }

  /** The upload is stored at `path` and recorded: readers finish with `end`. */
  stored(path: string, end: FrameInit): void {
    this.path = path;
    this.outcome = end;
    this.#notify();
  }

  /** The upload failed: readers stop (the DISCARD after them says why). */
  failed(): void {
    this.outcome ??= null;
    this.#notify();
  }

  /** Resolves at the next change. */
  changed(): Promise<void> {
    return this.#wake.promise;
  }

  #notify(): void {
    this.#wake.resolve();
    this.#wake = Promise.withResolvers<void>();
  }
}

/**
 * Opens the upload's file where it is now: the temporary file, or the stored
 * one if it was renamed meanwhile (waiting for the record if the rename was
 * just now). `undefined` if the upload failed and the file is gone.
 */
async function openCurrent(growing: GrowingFile): Promise<Deno.FsFile | undefined> {
  for (;;) {
    const path = growing.path;
    try {
      return await Deno.open(path, { read: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      if (growing.outcome === null) return undefined;
      if (growing.path !== path) continue;
      if (growing.outcome !== undefined) throw error;
      await growing.changed();
    }
  }
}

/** What {@linkcode fileDataFrames} sends. */
export interface FileDataOptions {
  /** The upload's file as it is written. */
  file: GrowingFile;
  /** The first byte the receiver has not been sent. */
  from: number;
  /** The transfer (its id and size). */
  transfer: Transfer;
  /** Told how much the stream holds in memory now (its read buffer). */
  hold: (bytes: number) => void;
  /** Called with each frame before it is sent (tracing). */
  onFrame: (frame: FrameInit) => void;
  /** Called if the file cannot be read: the stream ended the transfer with a DISCARD itself. */
  onUnreadable: () => void;
  /** Where a file that cannot be read is reported. */
  logger: Logger;
}

/**
 * Bytes `from` … size of the upload as DATA frames of at most
 * MAX_STREAM_CHUNK, read as they are written: each header is followed by
 * the read buffer itself (one buffer, reused: the sender writes each piece
 * before it asks for the next). Then END once the upload is recorded, or
 * nothing if it failed. A file that cannot be read ends the stream with a
 * DISCARD instead: the receiver must not keep what it cannot check.
 */
export async function* fileDataFrames(options: FileDataOptions): AsyncGenerator<Uint8Array> {
  const { transfer, file: growing } = options;
  const size = transfer.info.size;
  const buf = new Uint8Array(Math.min(MAX_STREAM_CHUNK, Math.max(1, size - options.from)));
  options.hold(buf.length);
  let at = options.from;
  let file: Deno.FsFile | undefined;
  let failure: string | undefined;
  try {
    file = await openCurrent(growing);
    if (!file) return; // failed before this began: the DISCARD follows
    if (at > 0) await file.seek(at, Deno.SeekMode.Start);
    while (at < size || growing.outcome === undefined) {
      if (growing.outcome === null) return; // failed: the DISCARD follows
      if (at >= growing.written) {
        await growing.changed();
        continue;
      }
      const want = Math.min(buf.length, growing.written - at);
      const n = await file.read(buf.subarray(0, want));
      if (n === null) {
        failure = `the file ends after ${formatBytes(at)}`;
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
    options.logger.info(
      `Cannot send the rest of ${growing.path} (transfer ${transfer.id}): ${failure}`,
    );
    options.onUnreadable();
    const discard = transfer.discardFrame(
      `The server could not send the rest of ${transfer.info.filename}; discard it.`,
    );
    options.onFrame(discard);
    yield encodeFrame(discard);
    return;
  }
  const end = growing.outcome!;
  options.onFrame(end);
  yield encodeFrame(end);
}
