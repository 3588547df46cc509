/**
 * Attachment files: safe names, streaming to and from disk with SHA-256,
 * never holding a whole file in memory. Takes streams, not sockets.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { CHUNK_SIZE, CHUNK_VALID_FOR, writeAll } from "../net/transport.ts";
import { UNSAFE_CHARS } from "../unsafe_text.ts";
import { BufferRing, concatBytes, sameBytes } from "../wire/bytes.ts";

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

/** A file received and checked. */
export interface ReceivedFile {
  /** Path of the saved file (inside the target folder). */
  path: string;
  /** Base name inside the folder. */
  name: string;
  size: number;
  sha256: Uint8Array;
  /** The first bytes of the file (at most `keepHead`), e.g. to print a text file. */
  head: Uint8Array;
}

/** Options for {@linkcode receiveFile}. */
export interface ReceiveFileOptions {
  /** Expected size in bytes; fewer or more bytes is an error. */
  size: number;
  /** Expected SHA-256; when given, a mismatch deletes the file and throws. */
  sha256?: Uint8Array;
  /** How many leading bytes to keep in memory for the caller. @default 0 */
  keepHead?: number;
  /**
   * If a file of that name (or a numbered variant) already holds exactly
   * these bytes, keep it instead of saving a copy (a history replayed on
   * every join would otherwise pile up duplicates). @default false
   */
  reuseIdentical?: boolean;
}

/** A received file failed its size or hash check. */
export class FileCheckError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "FileCheckError";
  }
}

/**
 * Streams `chunks` into `dir` under a unique version of `name`: first to a
 * hidden temporary file, then, when size and hash check out, renamed to a
 * name no other file has. A transfer cut short leaves nothing visible.
 */
export async function receiveFile(
  chunks: AsyncIterable<Uint8Array>,
  dir: string,
  name: string,
  options: ReceiveFileOptions,
): Promise<ReceivedFile> {
  await Deno.mkdir(dir, { recursive: true });
  const temp = `${dir}/.incoming-${crypto.randomUUID()}.part`;
  const file = await Deno.open(temp, { write: true, createNew: true });
  const hash = createHash("sha256");
  const keep = options.keepHead ?? 0;
  const headParts: Uint8Array[] = [];
  let kept = 0;
  let size = 0;
  // The write of one chunk runs (off the main thread) while the next is
  // received and hashed; at most one write is in flight.
  let writing: Promise<void> = Promise.resolve();
  try {
    try {
      for await (const chunk of chunks) {
        size += chunk.length;
        hash.update(chunk);
        if (kept < keep) {
          const part = chunk.slice(0, keep - kept); // chunks may be reused: copy
          headParts.push(part);
          kept += part.length;
        }
        await writing;
        writing = writeAll(file, chunk);
        writing.catch(() => {/* awaited (and thrown) before the next write or below */});
      }
      await writing;
    } finally {
      await writing.catch(() => {/* the error that matters is already being thrown */});
      file.close();
    }
    const digest = new Uint8Array(hash.digest());
    if (size !== options.size) {
      throw new FileCheckError(
        `Cannot save ${name}: received ${size} bytes, expected ${options.size}`,
      );
    }
    if (options.sha256 && !sameBytes(digest, options.sha256)) {
      throw new FileCheckError(
        `Cannot save ${name}: its SHA-256 does not match the one announced; the file was damaged in transit`,
      );
    }
    const same = options.reuseIdentical ? await findIdentical(dir, name, size, digest) : null;
    if (same) await Deno.remove(temp);
    const finalName = same ?? await reserveName(dir, name);
    if (!same) await Deno.rename(temp, `${dir}/${finalName}`);
    return {
      path: `${dir}/${finalName}`,
      name: finalName,
      size,
      sha256: digest,
      head: concatBytes(headParts),
    };
  } catch (error) {
    await Deno.remove(temp).catch(() => {/* already gone */});
    throw error;
  }
}

/** The numbered variant of `name` in `dir` whose content has this size and digest, if any. */
async function findIdentical(
  dir: string,
  name: string,
  size: number,
  sha256: Uint8Array,
): Promise<string | null> {
  for (let n = 1;; n++) {
    const candidate = numberedName(name, n);
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(`${dir}/${candidate}`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
    if (info.isFile && info.size === size) {
      const other = await hashFile(`${dir}/${candidate}`);
      if (sameBytes(other.sha256, sha256)) return candidate;
    }
  }
}

/** Creates an empty file under the first free numbered version of `name`, and returns that name. */
async function reserveName(dir: string, name: string): Promise<string> {
  for (let n = 1;; n++) {
    const candidate = numberedName(name, n);
    try {
      const f = await Deno.open(`${dir}/${candidate}`, { write: true, createNew: true });
      f.close();
      return candidate;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
}

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

/** Removes leftover temporary files of interrupted transfers from `dir`. */
export async function removeIncomplete(dir: string): Promise<number> {
  let removed = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && /^\.incoming-.*\.part$/.test(entry.name)) {
        await Deno.remove(`${dir}/${entry.name}`);
        removed++;
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return removed;
}

/** True if the bytes look like text worth printing: valid UTF-8, no NUL. */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Yields exactly `size` bytes from `chunks`: cut if there are more (a file
 * grew since it was hashed), padded with zeros if there are fewer (it shrank
 * or vanished; the receiver's SHA-256 check then fails and says so). A
 * streamed payload must match the length its header announced, or the frame
 * boundary, and with it the rest of the connection, would be lost.
 */
export async function* exactly(
  size: number,
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let left = size;
  for await (const chunk of chunks) {
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
