/**
 * Small helpers for code that holds connections: closing one that may be
 * closed already, closing one so that the last frame written reaches the
 * peer, and telling a peer that left from a real failure.
 *
 * @module
 */
import type { ByteConn } from "./byte_conn.ts";

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

/** A connection that can be half-closed, as `Deno.TcpConn` can. */
export interface HalfClosable extends ByteConn {
  /** Sends FIN: no more writes, reads still possible. */
  closeWrite(): Promise<void>;
}

/** Options for {@linkcode closeGracefully}. */
export interface CloseGracefullyOptions {
  /** Longest wait for the peer to close its side. @default 1000 */
  timeoutMs?: number;
  /** Most bytes read and thrown away meanwhile. @default 65536 */
  maxBytes?: number;
}

/**
 * Closes a connection so that what was last written (say, an ERROR frame)
 * reaches the peer: sends FIN, then reads and discards what the peer still
 * sends until it closes too, for a bounded time and number of bytes.
 * Closing a socket with unread input instead sends a TCP reset, and the peer
 * may lose the frame before reading it. Never throws.
 */
export async function closeGracefully(
  conn: HalfClosable,
  options: CloseGracefullyOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<null>((resolve) =>
    timer = setTimeout(() => resolve(null), timeoutMs)
  );
  try {
    await conn.closeWrite();
    const buf = new Uint8Array(16 * 1024);
    for (let drained = 0; drained < maxBytes;) {
      const n = await Promise.race([conn.read(buf), expired]);
      if (n === null) break;
      drained += n;
    }
  } catch (_) {
    // The peer reset or the socket is already closed: nothing left to wait for.
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch (_) {
      // Already closed.
    }
  }
}
