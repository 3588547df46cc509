/**
 * Small helpers for code that holds connections: closing one that may be
 * closed already, telling a peer that left from a real failure, and putting
 * any thrown value into a log line.
 *
 * @module
 */

/** Closes a connection; one that is closed already is not an error. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/** True for the errors a peer that went away produces. */
export function isDisconnect(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.NotConnected;
}

/** The message of an error, or any other thrown value as a string. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
