/**
 * Test support: random file contents of any size.
 *
 * @module
 */

/**
 * `size` random bytes, filled 64 KiB at a time (`getRandomValues` takes at
 * most that much at once): every chunk differs, so a misplaced one shows.
 */
export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65_536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65_536)));
  }
  return bytes;
}
