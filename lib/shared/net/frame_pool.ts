/**
 * Frames whose buffers are used again: an upload's DATA frames, 256 KiB
 * each, forwarded to every receiver as they arrive. A fresh buffer for each
 * (allocated, zero-filled, its pages faulted in, then collected) cost the
 * server more than copying the bytes into it; a pooled frame's buffer goes
 * back to its pool once every sender it was queued on has written or
 * dropped it.
 *
 * @module
 */

/** The default of {@linkcode FramePool}'s `keep`: free buffers held for the next frames. */
export const DEFAULT_POOL_KEEP = 16;

/**
 * Buffers of one capacity, handed out as {@linkcode PooledFrame}s and taken
 * back when they are released. At most `keep` free buffers are held; more
 * are left to the garbage collector.
 */
export class FramePool {
  /** Size of every buffer, in bytes: the largest frame the pool holds. */
  readonly capacity: number;
  #keep: number;
  #free: ArrayBuffer[] = [];

  /** A pool of `capacity`-byte buffers, holding at most `keep` free ones. */
  constructor(capacity: number, keep = DEFAULT_POOL_KEEP) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new RangeError(`Frame pool capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#keep = keep;
  }

  /** Free buffers held now. */
  get free(): number {
    return this.#free.length;
  }

  /**
   * Encodes a frame into a pooled buffer: `encode` is given an allocator
   * and must call it once, for the frame's size (at most
   * {@linkcode capacity}). The frame is held once, by the caller, who
   * releases it when done queuing it.
   */
  frame(encode: (alloc: (size: number) => Uint8Array) => Uint8Array): PooledFrame {
    let buffer: ArrayBuffer | undefined;
    const bytes = encode((size) => {
      if (buffer) throw new Error("A pooled frame allocates once");
      if (size > this.capacity) {
        throw new RangeError(
          `Cannot pool a frame of ${size} bytes: the pool's buffers hold ${this.capacity}`,
        );
      }
      buffer = this.#free.pop() ?? new ArrayBuffer(this.capacity);
      return new Uint8Array(buffer, 0, size);
    });
    if (!buffer || bytes.buffer !== buffer) {
      throw new Error("A pooled frame must be encoded into the buffer it was given");
    }
    return new PooledFrame(bytes, this);
  }

  /** Takes back a buffer no frame uses any more. */
  giveBack(buffer: ArrayBuffer): void {
    if (this.#free.length < this.#keep) this.#free.push(buffer);
  }
}

/**
 * A frame in a pooled buffer, counting who holds it: the encoder, then each
 * sender it is queued on until written. Its bytes must not be read after
 * the holder's {@linkcode release}: the buffer may hold another frame then.
 */
export class PooledFrame {
  /** The encoded frame. */
  readonly bytes: Uint8Array;
  #holders = 1;
  #pool: FramePool;

  /** Wraps `bytes`, a view of a buffer of `pool`, held once. */
  constructor(bytes: Uint8Array, pool: FramePool) {
    this.bytes = bytes;
    this.#pool = pool;
  }

  /** How many hold the frame now; 0 once its buffer went back to the pool. */
  get holders(): number {
    return this.#holders;
  }

  /** One more holder (a sender it is queued on). */
  hold(): void {
    if (this.#holders === 0) throw new Error("Cannot hold a pooled frame already released");
    this.#holders++;
  }

  /** One holder fewer; the last gives the buffer back to the pool. */
  release(): void {
    if (this.#holders === 0) throw new Error("Cannot release a pooled frame twice");
    if (--this.#holders === 0) this.#pool.giveBack(this.bytes.buffer as ArrayBuffer);
  }
}
