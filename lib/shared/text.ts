/**
 * Text from a peer: decoding it, telling text from binary, and the
 * characters that must never reach a terminal or a file name raw: C0 and C1
 * controls, DEL, the line and paragraph separators (U+2028, U+2029: a line
 * break to some renderers), and the Unicode format characters that reorder
 * or hide text (zero-width characters, the Arabic letter mark, bidi
 * embeddings, overrides and isolates, BOM).
 *
 * @module
 */

/** Matches one unsafe character (global, so it can be used with `replace`). */
// deno-lint-ignore no-control-regex -- matching control characters is the point
export const UNSAFE_CHARS = new RegExp(
  "[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff]",
  "gu",
);

/** True if `text` contains an unsafe character. */
export function hasUnsafeChars(text: string): boolean {
  UNSAFE_CHARS.lastIndex = 0;
  return UNSAFE_CHARS.test(text);
}

/**
 * Makes text inert for a terminal: every unsafe character except newline
 * and tab becomes a visible escape such as `\x1b` or `\u202e`.
 */
export function inertText(text: string): string {
  return text.replace(UNSAFE_CHARS, (c) => {
    if (c === "\n" || c === "\t") return c;
    const code = c.codePointAt(0)!;
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

// ignoreBOM: a text that starts with U+FEFF keeps it, as it was sent.
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * A payload's UTF-8 as the text that was sent: malformed bytes become
 * U+FFFD, and a leading U+FEFF is kept (stored and relayed as sent).
 */

export function decodeText(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

/** True if the bytes look like text worth printing: valid UTF-8, no NUL. */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    strictDecoder.decode(bytes);
    return true;
  } catch (_) {
    return false;
  }
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });
