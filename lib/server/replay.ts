/**
 * A joining user's history as one stream of bytes, read from the store a
 * page at a time and encoded lazily while it is written.
 *
 * @module
 */
import { encodeShortLivedFrame } from "../shared/wire/encode_frame.ts";
import { type FrameInit } from "../shared/wire/frame.ts";
import { concatBytes } from "../shared/wire/bytes.ts";
import { readFileExactly } from "../shared/files/read_file.ts";
import { BODY_BUFFER_BYTES } from "../shared/net/frame_sender.ts";
import type { HistoryEntry, HistoryRange, HistoryStore } from "./history/history.ts";
import { type EntryFilesOptions, entryToSend } from "./entry_payload.ts";
import { EventLoopSlice } from "../shared/event_loop.ts";

/** Options for {@linkcode replayStream}. */
export interface ReplayOptions extends EntryFilesOptions {
  /** Called with each frame just before it is encoded (for tracing). */
  onFrame?: (frame: FrameInit) => void;
  /**
   * Stops the replay at the next frame boundary (the rest is not sent): the
   * connection joined again. An attachment under way is finished first.
   */
  signal?: AbortSignal;
  /** Told how many bytes the replay holds in memory now (see `StreamSource`). */
  hold?: (bytes: number) => void;
}

/**
 * Most entries read from the store at once. A page also stops before
 * {@linkcode REPLAY_PAGE_BYTES}: a page of chat lines is hundreds of them,
 * of the longest lines (64 KiB) a few. (Pages of 16 made a 100,000-line
 * history 6,250 queries, two thirds of the server's time for a join.)
 */
export const REPLAY_PAGE_ENTRIES = 1024;

/** Most bytes of entries' strings in one page read from the store (at least one entry). */
export const REPLAY_PAGE_BYTES = 256 * 1024;

/** Bytes of history frames joined for one write. */
export const REPLAY_BATCH_BYTES = 64 * 1024;

/**
 * Most milliseconds a replay runs before it lets the event loop turn: its
 * writes to a reader that keeps up resolve at once, so without this a
 * 50,000-line history held every other user's lines up for about 300 ms.
 */
export const REPLAY_SLICE_MS = 2;

/**
 * The entries of `range` as one stream, each encoded only when the
 * connection is ready for it, read from `history` {@linkcode REPLAY_PAGE_ENTRIES}
 * at a time: however long the history, a replay holds one page and one
 * batch, and tells `hold` how much that is. The range is the one taken at
 * the join, so entries stored since are not sent twice (they go live).
 */
export async function* replayStream(
  history: HistoryStore,
  range: HistoryRange,
  options: ReplayOptions,
): AsyncGenerator<Uint8Array> {
  const { signal, hold } = options;
  // Frames go out joined in writes of about REPLAY_BATCH_BYTES: one write
  // per chat line made a 100,000-line history 100,000 system calls.
  let batch: Uint8Array[] = [];
  let batched = 0;
  let after = range.fromSeq - 1;
  const slice = new EventLoopSlice(REPLAY_SLICE_MS);
  while (after < range.toSeq) {
    if (slice.due) await slice.yield();
    if (signal?.aborted) return;
    const page = history.page(
      after,
      Math.min(REPLAY_PAGE_ENTRIES, range.toSeq - after),
      REPLAY_PAGE_BYTES,
    );
    if (page.length === 0) break;
    const pageBytes = page.reduce((sum, e) => sum + entryBytes(e), 0);
    hold?.(pageBytes + batched);
    for (const entry of page) {
      if (entry.seq > range.toSeq) break;
      // Cancelled: what is batched was never sent, so the cut is at a frame boundary.
      if (signal?.aborted) return;
      after = entry.seq;
      const { frame, path, size } = entryToSend(entry, true, options);
      options.onFrame?.(frame);
      // Copied into the batch at once: the cheaper, short-lived slab is fine.
      const bytes = encodeShortLivedFrame(frame);
      batch.push(bytes);
      batched += bytes.length;
      if (path || batched >= REPLAY_BATCH_BYTES) {
        hold?.(pageBytes + batched);
        yield concatBytes(batch);
        batch = [];
        batched = 0;
      }
      if (path) {
        hold?.(pageBytes + Math.min(size, BODY_BUFFER_BYTES));
        yield* readFileExactly(path, size);
      }
    }
    after = Math.max(after, page[page.length - 1].seq);
  }
  if (batch.length > 0 && !signal?.aborted) {
    hold?.(batched);
    yield concatBytes(batch);
  }
}

/** About what an entry takes in memory: its strings and a little for the object. */
function entryBytes(entry: HistoryEntry): number {
  return 64 + entry.text.length + entry.username.length +
    (entry.attachment ? 96 + entry.attachment.filename.length : 0);
}
