/**
 * The part of a connection the transport uses, and how bytes go to it: in
 * chunks of a known size, every byte written however short the writes.
 *
 * @module
 */

/** The part of `Deno.Conn` the transport needs, so tests can pass fakes. */
export interface ByteConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

/** Size of the reads the transport issues and of the chunks it streams. */
export const CHUNK_SIZE = 256 * 1024;

/**
 * How many further chunks a consumer of a chunk stream ({@linkcode FrameReader.payloadChunks},
 * `readFileChunks`) may request while still using a chunk it was given:
 * 1, so a consumer can write one chunk to disk while it receives the next.
 */
export const CHUNK_VALID_FOR = 1;

/** Writes every byte of `bytes`, looping over short writes. */
export async function writeAll(conn: Pick<ByteConn, "write">, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    at += await conn.write(bytes.subarray(at));
  }
}

/** {@linkcode writeAll} for a synchronous writer, such as `Deno.stdout` in a terminal program. */
export function writeAllSync(out: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += out.writeSync(bytes.subarray(at));
}
