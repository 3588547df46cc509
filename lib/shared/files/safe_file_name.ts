/**
 * File names a peer sent, made safe to store: a base name with nothing a
 * file system or a terminal could misread, and numbered variants of it.
 *
 * @module
 */
import { UNSAFE_CHARS } from "../text.ts";
import { utf8Length } from "../wire/wire_bytes.ts";

/** Longest stored file name, in characters, extension included. */
export const MAX_SAFE_NAME_CHARS = 100;

/**
 * Longest stored file name, in UTF-8 bytes: file systems hold 255 bytes
 * (ext4, APFS; NTFS 255 UTF-16 units, which this fits too), less 12 for the
 * widest number {@linkcode numberedName} may add, " (999999999)". The
 * temporary name a transfer uses (`.incoming-<uuid>.part`) does not derive
 * from it.
 */
export const MAX_SAFE_NAME_BYTES = 255 - 12;

/** Longest extension kept when a name is cut, in characters (with its dot). */
const MAX_KEPT_EXTENSION_CHARS = 16;

/**
 * Windows device names, alone or before an extension, with or without
 * spaces between (Windows reads `CON .txt` as the console too).
 */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)\s*(\..*)?$/i;

/**
 * Reduces a file name sent by a peer to a safe base name: no folders (either
 * slash), no drive letters, no control or reserved characters, no leading
 * dots, no Windows device names, at most {@linkcode MAX_SAFE_NAME_CHARS}
 * characters and {@linkcode MAX_SAFE_NAME_BYTES} bytes of UTF-8 (cut on a
 * character boundary, the extension kept). Never returns an empty string.
 *
 * @example
 * ```ts
 * safeFileName("../../etc/passwd"); // "passwd"
 * safeFileName("C:\\x\\a.txt"); // "a.txt"
 * ```
 */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  let safe = base
    .replace(/^[a-zA-Z]:/, "")
    .replace(UNSAFE_CHARS, "_")
    .replace(/[<>:"|?*]/g, "_")
    .replace(/^[.\s]+/, "")
    .replace(/[.\s]+$/, "");
  if (WINDOWS_RESERVED.test(safe)) safe = `_${safe}`;
  safe = fitName(safe);
  return safe.length > 0 ? safe : "attachment";
}

/** `name` cut to the character and byte limits, its extension (if short) kept. */
function fitName(name: string): string {
  if ([...name].length <= MAX_SAFE_NAME_CHARS && utf8Length(name) <= MAX_SAFE_NAME_BYTES) {
    return name;
  }
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 && [...name.slice(dot)].length <= MAX_KEPT_EXTENSION_CHARS
    ? name.slice(dot)
    : "";
  let charsLeft = MAX_SAFE_NAME_CHARS - [...ext].length;
  let bytesLeft = MAX_SAFE_NAME_BYTES - utf8Length(ext);
  let stem = "";
  for (const char of name.slice(0, name.length - ext.length)) {
    const bytes = utf8Length(char);
    if (charsLeft < 1 || bytesLeft < bytes) break;
    stem += char;
    charsLeft--;
    bytesLeft -= bytes;
  }
  // A cut may end the stem on a dot or a space, which Windows drops.
  return stem.replace(/[.\s]+$/, "") + ext;
}

/** `name`, or `name (2).ext`, `name (3).ext`, … for the n-th candidate. */
export function numberedName(name: string, n: number): string {
  if (n <= 1) return name;
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}
