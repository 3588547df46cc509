/**
 * File names a peer sent, made safe to store: a base name with nothing a
 * file system or a terminal could misread, and numbered variants of it.
 *
 * @module
 */
import { UNSAFE_CHARS } from "../text.ts";

/** Longest stored file name, in characters, before the extension is kept. */
export const MAX_SAFE_NAME_CHARS = 100;

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/**
 * Reduces a file name sent by a peer to a safe base name: no folders (either
 * slash), no drive letters, no control or reserved characters, no leading
 * dots, no Windows device names, at most {@linkcode MAX_SAFE_NAME_CHARS}
 * characters. Never returns an empty string.
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
  const chars = [...safe];
  if (chars.length > MAX_SAFE_NAME_CHARS) {
    const dot = safe.lastIndexOf(".");
    const ext = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : "";
    safe = chars.slice(0, MAX_SAFE_NAME_CHARS - [...ext].length).join("") + ext;
  }
  return safe.length > 0 ? safe : "attachment";
}

/** `name`, or `name (2).ext`, `name (3).ext`, … for the n-th candidate. */
export function numberedName(name: string, n: number): string {
  if (n <= 1) return name;
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}
