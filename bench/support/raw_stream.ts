/**
 * The bytes the raw baseline sends (`bench/workers/raw_peer.ts`): one
 * pattern chunk of the transport's chunk size, repeated; and their SHA-256,
 * which the runner checks every hashing receiver against.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { CHUNK_SIZE } from "../../lib/shared/net/byte_conn.ts";

/** The chunk the raw sender repeats ({@linkcode CHUNK_SIZE} bytes). */
export function rawChunk(): Uint8Array {
  return new Uint8Array(CHUNK_SIZE).map((_, i) => i * 31);
}

/** SHA-256 (hex) of the first `bytes` bytes of the raw stream. */
export function rawStreamSha256(bytes: number): string {
  const chunk = rawChunk();
  const hash = createHash("sha256");
  for (let at = 0; at < bytes; at += chunk.length) {
    hash.update(chunk.subarray(0, Math.min(chunk.length, bytes - at)));
  }
  return hash.digest("hex");
}
