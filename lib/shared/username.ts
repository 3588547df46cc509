/**
 * Username rules shared by the server (which enforces them) and the client
 * (which checks early to save a round trip).
 *
 * @module
 */
import { hasUnsafeChars } from "./text.ts";

/** Longest username, in characters (code points). */
export const MAX_USERNAME_CHARS = 32;

/** The name the server uses for its announcements; no user may take it. */
export const SERVER_NAME = "Server";

/**
 * Returns why `name` cannot be a username, or `null` if it can.
 *
 * @example
 * ```ts
 * usernameProblem("Cool"); // null
 * usernameProblem("   "); // "it is empty"
 * ```
 */
export function usernameProblem(name: string): string | null {
  if (name.trim().length === 0) return "it is empty";
  if (name !== name.trim()) return "it starts or ends with a space";
  if ([...name].length > MAX_USERNAME_CHARS) {
    return `it is longer than ${MAX_USERNAME_CHARS} characters`;
  }
  if (hasUnsafeChars(name)) return "it contains control or formatting characters";
  if (usernameKey(name) === usernameKey(SERVER_NAME)) {
    return `"${SERVER_NAME}" is reserved for the server's announcements`;
  }
  return null;
}

/** The key under which usernames are compared: `Fun`, `fun` and `ＦＵＮ` collide. */
export function usernameKey(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}
