/**
 * Small byte-array helpers shared by the codec, the transport and files.
 *
 * @module
 */

/** Joins byte arrays into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
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
