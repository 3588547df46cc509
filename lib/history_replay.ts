/**
 * A joining user's history as one stream of bytes, encoded as it is sent.
 *
 * @module
 */
import { encodeFrame, type FrameInit } from "./protocol.ts";
import { CHUNK_SIZE, concatBytes, type PayloadSource } from "./transport.ts";
import type { HistoryEntry } from "./history.ts";
import { entryFrame } from "./room.ts";
import { readFileChunks } from "./files.ts";

/** Options for {@linkcode historyReplay}. */
export interface HistoryReplayOptions {
  /** Folder the server stores attachments in. */
  downloadsDir: string;
  /** Called with each frame as it is encoded (for `--trace`). @default none */
  onFrame?: (frame: FrameInit) => void;
}

/**
 * The replay of `entries` (HISTORY frames, attachments streamed from disk) as
 * a payload source for {@linkcode FrameSender.send}. Frames are encoded only
 * when the connection is ready for them and go out in batches of about
 * {@linkcode CHUNK_SIZE} bytes, so a long history neither sits in memory
 * whole nor overflows the connection's send queue.
 */
export function historyReplay(
  entries: HistoryEntry[],
  options: HistoryReplayOptions,
): PayloadSource {
  return async function* () {
    let batch: Uint8Array[] = [];
    let size = 0;
    for (const entry of entries) {
      const frame = entryFrame(entry, true);
      options.onFrame?.(frame);
      const bytes = encodeFrame(frame);
      batch.push(bytes);
      size += bytes.length;
      const file = entry.attachment;
      if (size >= CHUNK_SIZE || file) {
        yield concatBytes(batch, size);
        batch = [];
        size = 0;
      }
      if (file) yield* readFileChunks(`${options.downloadsDir}/${file.storedName}`);
    }
    if (size > 0) yield concatBytes(batch, size);
  };
}
