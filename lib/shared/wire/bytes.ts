/**
 * Small byte-array helpers shared by the codec, the transport and files.
 *
 * @module
 */

/** Largest array {@linkcode allocBytes} carves from a shared slab. */
export const SMALL_BYTES = 4096;
const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(0);
let slabAt = 0;

/**
 * A new zero-filled array of `n` bytes. Small ones (at most
 * {@linkcode SMALL_BYTES}) are carved from a shared 64 KiB slab: allocating
 * an `ArrayBuffer` costs 1–2 µs in Deno (tiny typed arrays are not kept on
 * V8's heap), which a chat frame paid several times over; a view of a slab
 * costs a tenth of that.
 *
 * Only for arrays that die soon: the slab stays in memory while any array
 * carved from it does, so one small array kept (in a send queue, say) keeps
 * 64 KiB. Copy with `slice()` what you keep, and never queue one. Their
 * `buffer` is the slab: always use `byteOffset`/`byteLength` with it.
 */
export function allocBytes(n: number): Uint8Array {
  if (n > SMALL_BYTES) return new Uint8Array(n);
  if (slabAt + n > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabAt = 0;
  }
  const out = slab.subarray(slabAt, slabAt + n);
  // Keep the next array 8-byte aligned, as fresh buffers are.
  slabAt += (n + 7) & ~7;
  return out;
}

/** A new zero-filled array with a buffer of its own (`new Uint8Array(n)`). */
export function freshBytes(n: number): Uint8Array {
  return new Uint8Array(n);
}

/**
 * Joins byte arrays into one new array, with a buffer of its own: a joined
 * batch may be held for as long as a slow peer takes to read it.
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** True if both arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A few equal buffers handed out in turn, so a stream of chunks reuses the
 * same memory instead of allocating a fresh array per chunk (which, for a
 * large file, lets tens of MiB of garbage pile up before V8 collects it).
 * A buffer comes back after `count` more calls of {@linkcode next}: a chunk
 * stays valid while the caller requests up to `count - 1` more.
 */
export class BufferRing {
  #buffers: Uint8Array[] = [];
  #count: number;
  #size: number;
  #turn = 0;

  /** A ring of `count` buffers of `size` bytes, allocated on first use. */
  constructor(count: number, size: number) {
    this.#count = count;
    this.#size = size;
  }

  /** The next buffer in turn. */
  next(): Uint8Array {
    const i = this.#turn;
    this.#turn = (i + 1) % this.#count;
    return this.#buffers[i] ??= new Uint8Array(this.#size);
  }
}
