/**
 * History entries as frames to send: the frame for one entry (with the file
 * to stream after it, for an attachment), and a joining user's whole history
 * as one stream of bytes encoded lazily while it is written.
 *
 * @module
 */
import { encodeShortLivedFrame } from "../shared/wire/encode_frame.ts";
import { type FrameInit } from "../shared/wire/frame.ts";
import { concatBytes } from "../shared/wire/bytes.ts";
import type { PayloadSource } from "../shared/net/frame_sender.ts";
import { entryFrame } from "./room/room.ts";
import type { HistoryEntry } from "./history/history.ts";
import { attachmentProblem, missingAttachmentFrame } from "./history/attachment_check.ts";
import { readFileExactly } from "../shared/files/read_file.ts";
import type { Logger } from "../shared/log.ts";

/** Where {@linkcode entryToSend} finds attachments and reports missing ones. */
export interface EntryFilesOptions {
  /** Folder where received attachments are stored. */
  downloadsDir: string;
  /** Told about each attachment whose file is missing or the wrong size. */
  logger: Logger;
}

/** One history entry ready to send. */
export interface EntryToSend {
  /** The frame's header fields and in-memory payload. */
  frame: FrameInit;
  /** For an attachment whose file is there: the file to stream after the header. */
  path?: string;
  /** Bytes of the file at `path`; 0 without one. */
  size: number;
}

/**
 * The frame for an entry and, for an attachment whose file is there, the
 * file to stream after it. A missing file becomes a "missing attachment"
 * frame, found now rather than halfway through a payload already promised.
 */
export function entryToSend(
  entry: HistoryEntry,
  replay: boolean,
  options: EntryFilesOptions,
): EntryToSend {
  const file = entry.attachment;
  if (!file) return { frame: entryFrame(entry, replay), size: 0 };
  const path = `${options.downloadsDir}/${file.storedName}`;
  const problem = attachmentProblem(path, file.size);
  if (problem) {
    options.logger.info(`Cannot send history entry #${entry.seq}: ${path}: ${problem}`);
    return { frame: missingAttachmentFrame(entry, replay), size: 0 };
  }
  return { frame: entryFrame(entry, replay), path, size: file.size };
}

/** The streamed body of an {@linkcode EntryToSend}, if it has one. */
export function entryBody({ path, size }: EntryToSend): PayloadSource | undefined {
  return path ? () => readFileExactly(path, size) : undefined;
}

/** Options for {@linkcode replayStream}. */
export interface ReplayOptions extends EntryFilesOptions {
  /** Called with each frame just before it is encoded (for tracing). */
  onFrame?: (frame: FrameInit) => void;
}

/**
 * A joining user's history as one stream, each entry encoded only when the
 * connection is ready for it: however long the history, it neither fills
 * memory nor the user's send queue (which would drop them as too far behind
 * on arrival).
 */
export async function* replayStream(
  entries: HistoryEntry[],
  options: ReplayOptions,
): AsyncGenerator<Uint8Array> {
  // Frames go out joined in writes of about REPLAY_BATCH_BYTES: one write
  // per chat line made a 100,000-line history 100,000 system calls.
  let batch: Uint8Array[] = [];
  let batched = 0;
  for (const entry of entries) {
    const { frame, path, size } = entryToSend(entry, true, options);
    options.onFrame?.(frame);
    // Copied into the batch at once: the cheaper, short-lived slab is fine.
    const bytes = encodeShortLivedFrame(frame);
    batch.push(bytes);
    batched += bytes.length;
    if (path || batched >= REPLAY_BATCH_BYTES) {
      yield concatBytes(batch);
      batch = [];
      batched = 0;
    }
    if (path) yield* readFileExactly(path, size);
  }
  if (batch.length > 0) yield concatBytes(batch);
}

/** Bytes of history frames joined for one write. */
export const REPLAY_BATCH_BYTES = 64 * 1024;
