/**
 * One sequence of encoded frames shared by many {@linkcode FrameSender}s:
 * what a server broadcasts. A sender queues a frame of the log as a run of
 * consecutive frames, so the frames a receiver is behind on cost one small
 * object per run, not a reference per frame and receiver.
 *
 * @module
 */

/**
 * Most frames per chunk of a {@linkcode FrameLog}. A run never crosses a
 * chunk, so a receiver behind on many broadcasts holds one run per chunk.
 */
export const FRAME_LOG_CHUNK = 1024;

/**
 * A chunk takes no more frames once it holds this many bytes. A chunk lives
 * as long as a run in some queue refers to it, with all its frames, also
 * those that receiver was not sent or has written already: what a receiver
 * keeps in memory beyond what its budget counts is at most this (plus one
 * frame) per chunk it refers to.
 */
export const FRAME_LOG_CHUNK_BYTES = 64 * 1024;

/**
 * The frames a server sends to many connections, in the order it sent them.
 * Append a frame, then give it to each receiver's
 * {@linkcode FrameSender.sendLogged}; nothing is ever removed (a chunk that
 * no queue refers to any more is garbage).
 */
export class FrameLog {
  /**
   * The chunk being filled, oldest frame first: at most
   * {@linkcode FRAME_LOG_CHUNK} frames, and past
   * {@linkcode FRAME_LOG_CHUNK_BYTES} by at most its last frame.
   */
  frames: Uint8Array[] = [];
  #bytes = 0;

  /** Adds `bytes` (an encoded frame, never changed afterwards) as the newest frame. */
  append(bytes: Uint8Array): void {
    if (this.frames.length >= FRAME_LOG_CHUNK || this.#bytes >= FRAME_LOG_CHUNK_BYTES) {
      this.frames = [];
      this.#bytes = 0;
    }
    this.frames.push(bytes);
    this.#bytes += bytes.length;
  }
}
