/**
 * One sequence of encoded frames shared by many {@linkcode FrameSender}s:
 * what a server broadcasts. A sender queues a frame of the log as a run of
 * consecutive frames, so the frames a receiver is behind on cost one small
 * object per run, not a reference per frame and receiver.
 *
 * @module
 */

/**
 * Frames per chunk of a {@linkcode FrameLog}. A run never crosses a chunk,
 * so a receiver behind on many broadcasts holds one run per chunk; a chunk
 * lives as long as a run in some queue refers to it.
 */
export const FRAME_LOG_CHUNK = 1024;

/**
 * The frames a server sends to many connections, in the order it sent them.
 * Append a frame, then give it to each receiver's
 * {@linkcode FrameSender.sendLogged}; nothing is ever removed (a chunk that
 * no queue refers to any more is garbage).
 */
export class FrameLog {
  /** The chunk being filled, oldest frame first: at most {@linkcode FRAME_LOG_CHUNK}. */
  frames: Uint8Array[] = [];

  /** Adds `bytes` (an encoded frame, never changed afterwards) as the newest frame. */
  append(bytes: Uint8Array): void {
    if (this.frames.length >= FRAME_LOG_CHUNK) this.frames = [];
    this.frames.push(bytes);
  }
}
