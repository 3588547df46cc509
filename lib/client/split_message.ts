/**
 * Long chat text split into messages the server accepts, so nothing typed
 * or pasted is cut off.
 *
 * @module
 */
import { MAX_CHAT_BYTES } from "../shared/chat_limit.ts";

const encoder = new TextEncoder();
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Options for {@linkcode splitMessage}. */
export interface SplitMessageOptions {
  /** Most UTF-8 bytes in one part. @default {@linkcode MAX_CHAT_BYTES} */
  maxBytes?: number;
}

/**
 * Splits `text` into parts of at most `maxBytes` bytes of UTF-8 each, in
 * order, that join back into `text` exactly. Cuts fall between graphemes
 * (a letter and its accents, an emoji sequence, stay whole), preferably
 * after a space near the end of a part; a single grapheme longer than a
 * part is cut between code points, never inside a surrogate pair.
 *
 * @example
 * ```ts
 * splitMessage("a".repeat(70_000)).map((p) => p.length); // [65536, 4464]
 * ```
 */
export function splitMessage(text: string, options: SplitMessageOptions = {}): string[] {
  const maxBytes = options.maxBytes ?? MAX_CHAT_BYTES;
  if (maxBytes < 4) throw new RangeError(`Cannot split text into parts of ${maxBytes} bytes`);
  // Quick path: at most 3 bytes of UTF-8 per UTF-16 unit.
  if (text.length * 3 <= maxBytes || encoder.encode(text).length <= maxBytes) return [text];
  const parts: string[] = [];
  let part = "";
  let bytes = 0;
  /** Offset in `part` just after its last space, and the bytes up to there. */
  let lastSpace = { at: 0, bytes: 0 };
  const push = (piece: string, pieceBytes: number) => {
    while (part && bytes + pieceBytes > maxBytes) {
      // Cut after the last space if it keeps most of the part, else here.
      const cutAtSpace = lastSpace.at > 0 && lastSpace.bytes >= maxBytes * 0.9;
      const cut = cutAtSpace ? lastSpace.at : part.length;
      const cutBytes = cutAtSpace ? lastSpace.bytes : bytes;
      parts.push(part.slice(0, cut));
      part = part.slice(cut);
      bytes -= cutBytes;
      lastSpace = { at: 0, bytes: 0 };
    }
    part += piece;
    bytes += pieceBytes;
    if (/^\s+$/u.test(piece)) lastSpace = { at: part.length, bytes };
  };
  for (const { segment } of graphemes.segment(text)) {
    const size = encoder.encode(segment).length;
    if (size <= maxBytes) push(segment, size);
    else for (const codePoint of segment) push(codePoint, encoder.encode(codePoint).length);
  }
  if (part) parts.push(part);
  return parts;
}
