/**
 * Reading a file from disk in chunks: as it is, as exactly the number of
 * bytes a header announced, or to hash it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { CHUNK_SIZE, CHUNK_VALID_FOR } from "../net/byte_conn.ts";
import { BufferRing } from "../wire/bytes.ts";

/**
 * Streams a file from disk in chunks of {@linkcode CHUNK_SIZE} bytes. The
 * next chunk is read (off the main thread) while the caller uses this one.
 * Buffers are reused: a chunk stays valid until the caller has requested
 * {@linkcode CHUNK_VALID_FOR} more (copy what you keep longer).
 */
export async function* readFileChunks(path: string): AsyncGenerator<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  // One chunk with the caller, one it may still be finishing, one read ahead.
  const ring = new BufferRing(CHUNK_VALID_FOR + 2, CHUNK_SIZE);
  const readChunk = async () => {
    const buf = ring.next();
    const n = await file.read(buf);
    return n === null ? null : n === buf.length ? buf : buf.subarray(0, n);
  };
  let next = readChunk();
  try {
    while (true) {
      const chunk = await next;
      if (chunk === null) return;
      next = readChunk();
      yield chunk;
    }
  } finally {
    // A caller that stops early leaves one read ahead in flight: let it end.
    await next.catch(() => {/* its chunk is not wanted */});
    file.close();
  }
}

/** Size and SHA-256 of a file, read once from disk in chunks. */
export async function hashFile(path: string): Promise<{ size: number; sha256: Uint8Array }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of readFileChunks(path)) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: new Uint8Array(hash.digest()) };
}

/**
 * Streams exactly `size` bytes of the file at `path`, whatever happened to
 * it since its header was sent: cut if it grew, padded with zeros if it
 * shrank or vanished (the receiver's SHA-256 check then fails and says so).
 * A streamed payload must match the length its header announced, or the
 * frame boundary, and with it the rest of the connection, would be lost.
 */
export async function* readFileExactly(path: string, size: number): AsyncGenerator<Uint8Array> {
  let left = size;
  for await (const chunk of chunksIfPresent(path)) {
    if (left === 0) break;
    const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= part.length;
    yield part;
  }
  while (left > 0) {
    const pad = new Uint8Array(Math.min(left, 64 * 1024));
    left -= pad.length;
    yield pad;
  }
}

/** The file's chunks, or none if it is gone. */
async function* chunksIfPresent(path: string): AsyncGenerator<Uint8Array> {
  try {
    yield* readFileChunks(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
