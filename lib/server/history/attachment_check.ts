/**
 * Attachment records in the history must point at files that exist: checked
 * for the whole history when the server starts, and for each record just
 * before its header is sent (a header promises the bytes that follow, so a
 * missing file must be found out before, not while, streaming it).
 *
 * @module
 */
import type { HistoryEntry } from "./history.ts";
import { errorText } from "../../shared/error_text.ts";

/** An attachment record whose file is not as the history says. */
export interface MissingAttachment {
  /** The attachment record. */
  entry: HistoryEntry;
  /** Path of the file the record points at. */
  path: string;
  /** What is wrong, e.g. "it is missing". */
  problem: string;
}

/**
 * What is wrong with the file of an attachment record, or `null` if it is
 * there with the recorded size. Synchronous: one `stat`.
 */
export function attachmentProblem(path: string, size: number): string | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "it is missing";
    return `it cannot be read (${errorText(error)})`;
  }
  if (!info.isFile) return "it is not a file";
  if (info.size !== size) return `it is ${info.size} bytes, the history says ${size}`;
  return null;
}

/** Every attachment record among `entries` whose file in `dir` is missing or the wrong size. */
export function findMissingAttachments(
  entries: Iterable<HistoryEntry>,
  dir: string,
): MissingAttachment[] {
  const missing: MissingAttachment[] = [];
  for (const entry of entries) {
    if (!entry.attachment) continue;
    const path = `${dir}/${entry.attachment.storedName}`;
    const problem = attachmentProblem(path, entry.attachment.size);
    if (problem) missing.push({ entry, path, problem });
  }
  return missing;
}

/** One log line for a record whose file is missing. */
export function describeMissing(missing: MissingAttachment): string {
  const { entry, path, problem } = missing;
  return `History entry #${entry.seq} (attachment ${
    JSON.stringify(entry.attachment!.filename)
  } from ${entry.username}) points at ${path}, but ${problem}; users will be told it is gone`;
}
