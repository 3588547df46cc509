/**
 * Any thrown value as text, for a log line or (without its paths) a
 * message to a user.
 *
 * @module
 */

/** The message of an error, or any other thrown value as a string. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Matches a file system path in an error message: quoted as Deno's I/O
 * errors quote it (`open '/srv/downloads/a.txt'`, `rename 'a' -> 'b'`,
 * with the operation), or any bare one with two separators or more.
 */
const PATHS =
  /(?::\s*)?(?:\b[a-z]+ )?'[^']*[\\/][^']*'(?: -> '[^']*')?|(?:[A-Za-z]:)?(?:[\\/][^\s\\/'"]+){2,}[\\/]?/g;

/**
 * The message of an error as text fit to send to a peer: any file system
 * path in it is left out, so a client never learns where the server keeps
 * its files (`File name too long (os error 36): open '/srv/downloads/…'`
 * becomes `File name too long (os error 36)`).
 *
 * @example
 * ```ts
 * peerErrorText(new Error("No such file or directory (os error 2): open '/srv/x'"));
 * // "No such file or directory (os error 2)"
 * ```
 */
export function peerErrorText(error: unknown): string {
  return errorText(error).replace(PATHS, "").replace(/\s{2,}/g, " ").trim();
}
