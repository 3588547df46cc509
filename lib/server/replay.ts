/**
 * A joining user's history as one stream of bytes, encoded lazily while it
 * is written.
 *
 * @module
 */
import { encodeShortLivedFrame } from "../shared/wire/encode_frame.ts";
import { type FrameInit } from "../shared/wire/frame.ts";
import { concatBytes } from "../shared/wire/bytes.ts";
import { readFileExactly } from "../shared/files/read_file.ts";
import type { HistoryEntry } from "./history/history.ts";
import { type EntryFilesOptions, entryToSend } from "./entry_payload.ts";

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
