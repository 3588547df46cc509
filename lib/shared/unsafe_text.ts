/**
 * Characters that must never reach a terminal or a file name raw: C0 and C1
 * controls, DEL, and the Unicode format characters that reorder or hide
 * text (zero-width characters, bidi embeddings, overrides and isolates, BOM).
 *
 * @module
 */

/** Matches one unsafe character (global, so it can be used with `replace`). */
// deno-lint-ignore no-control-regex -- matching control characters is the point
export const UNSAFE_CHARS = new RegExp(
  "[\\u0000-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u206f\\ufeff]",
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
