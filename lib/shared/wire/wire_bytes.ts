/**
 * Byte-level helpers of the wire codec: big-endian integers and UTF-8 text
 * read and written in place, without `DataView`, `BigInt` or a fresh array
 * per field (each costs more than the work itself, see docs/PERFORMANCE.md).
 * Pure: no I/O.
 *
 * @module
 */

const TWO_TO_32 = 2 ** 32;
const encoder = new TextEncoder();

/**
 * Bytes of `text` in UTF-8, as `TextEncoder` writes it (a lone surrogate
 * becomes U+FFFD, 3 bytes), without encoding it.
 */
export function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
      continue;
    }
    // Three bytes for one UTF-16 unit; a surrogate pair is two units and four bytes.
    n += 2;
    const next = text.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
  }
  return n;
}

/** Writes `text`, whose UTF-8 is `length` bytes, at `at` in `out`; returns where it ends. */
export function putText(out: Uint8Array, at: number, text: string, length: number): number {
  if (length === text.length) {
    // ASCII (names nearly always, chat lines usually): no encoder call.
    for (let i = 0; i < length; i++) out[at + i] = text.charCodeAt(i);
  } else {
    encoder.encodeInto(text, out.subarray(at, at + length));
  }
  return at + length;
}

/** The bytes from `at` to `end` as a string if they are all ASCII; `undefined` otherwise. */
export function asciiText(bytes: Uint8Array, at: number, end: number): string | undefined {
  if (end - at <= SHORT_TEXT) {
    // A name: one character at a time is several times faster than a call over a subarray.
    let text = "";
    for (let i = at; i < end; i++) {
      const byte = bytes[i];
      if (byte >= 0x80) return undefined;
      text += String.fromCharCode(byte);
    }
    return text;
  }
  for (let i = at; i < end; i++) {
    if (bytes[i] >= 0x80) return undefined;
  }
  return String.fromCharCode.apply(null, bytes.subarray(at, end) as unknown as number[]);
}

/** Up to this many bytes, {@linkcode asciiText} builds its string one character at a time. */
const SHORT_TEXT = 64;

/** Writes a big-endian 32-bit unsigned integer. */
export function putUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}

/** Writes a big-endian 64-bit count; `value` must be a safe integer (so its high word fits 21 bits). */
export function putUint64(out: Uint8Array, at: number, value: number): void {
  putUint32(out, at, Math.floor(value / TWO_TO_32));
  putUint32(out, at + 4, value >>> 0);
}

/** Reads a big-endian 32-bit unsigned integer. */
export function getUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>>
    0;
}

/**
 * Reads a big-endian 64-bit count that must be a safe integer (high word at
 * most 21 bits); otherwise calls `tooLarge` with its exact value.
 */
export function getUint64(
  bytes: Uint8Array,
  at: number,
  tooLarge: (value: bigint) => never,
): number {
  const high = getUint32(bytes, at);
  const low = getUint32(bytes, at + 4);
  if (high > 0x1f_ffff) tooLarge((BigInt(high) << 32n) | BigInt(low));
  return high * TWO_TO_32 + low;
}

/** Hex of a digest, for logs. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The bytes `hex` spells, two hex digits each (as {@linkcode toHex} and SQLite's `hex()` write). */
export function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Encodes text as UTF-8. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
