/**
 * A history entry ready to send: its frame and, for an attachment whose file
 * is there, the file to stream after the header.
 *
 * @module
 */
import type { FrameInit } from "../shared/wire/frame.ts";
import type { PayloadSource } from "../shared/net/frame_sender.ts";
import { readFileExactly } from "../shared/files/read_file.ts";
import type { Logger } from "../shared/log.ts";
import type { HistoryEntry } from "./history/history.ts";
import { attachmentProblem } from "./history/attachment_check.ts";
import { entryFrame, missingAttachmentFrame } from "./room/entry_frame.ts";

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
