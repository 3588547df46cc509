/**
 * A file path as people type it, or as a terminal types it when a file is
 * dragged onto it: spaces around it, in quotes, with backslash-escaped
 * spaces, or as a `file://` URL.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** Characters a POSIX shell (and so a terminal's drag and drop) escapes with a backslash. */
const ESCAPED = /\\([ \t'"()&;!$`*?[\]{}<>|#~=%^,\\])/g;

/**
 * The path meant by what was typed: trimmed; a pair of quotes around it
 * removed; on systems other than Windows (where `\` separates folders)
 * backslash escapes undone; a `file://` URL made a path. Empty if nothing
 * but spaces was typed.
 *
 * @example
 * ```ts
 * typedPath(" 'attachments/my file.txt' "); // "attachments/my file.txt"
 * typedPath("attachments/my\\ file.txt", "linux"); // "attachments/my file.txt"
 * ```
 */
export function typedPath(typed: string, os: typeof Deno.build.os = Deno.build.os): string {
  let path = typed.trim();
  const quote = path[0];
  if (path.length >= 2 && (quote === "'" || quote === '"') && path.endsWith(quote)) {
    path = path.slice(1, -1);
    // Inside double quotes a shell still takes \" and \\ as escapes.
    if (quote === '"' && os !== "windows") path = path.replaceAll(/\\(["\\$`])/g, "$1");
  } else if (os !== "windows") {
    path = path.replaceAll(ESCAPED, "$1");
  }
  if (/^file:\/\//i.test(path)) {
    try {
      return fileURLToPath(path);
    } catch (_) {
      return path; // not a URL after all: taken as typed
    }
  }
  return path;
}
