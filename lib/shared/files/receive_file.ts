/**
 * Receiving a file: streamed to a hidden temporary file with its SHA-256,
 * checked, then given a free name. A transfer cut short leaves nothing.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { writeAll } from "../net/byte_conn.ts";
import { concatBytes, sameBytes } from "../wire/bytes.ts";
import { numberedName } from "./safe_file_name.ts";
import { hashFile } from "./read_file.ts";

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
  /**
   * Told the hidden temporary file's path and how many bytes are written to
   * it so far: once with 0 when it is created, then after each write (the
   * server serves a receiver that fell behind from it while it grows).
   */
  onWritten?: (temp: string, written: number) => void;
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
 * Creates `dir` if need be and a new hidden temporary file in it, named so
 * that `removeIncomplete()` finds it after a crash.
 */
export async function openIncomingTemp(dir: string): Promise<{ temp: string; file: Deno.FsFile }> {
  await Deno.mkdir(dir, { recursive: true });
  const temp = `${dir}/.incoming-${crypto.randomUUID()}.part`;
  return { temp, file: await Deno.open(temp, { write: true, createNew: true }) };
}

/**
 * Streams `chunks` into `dir` under a unique version of `name`: first to a
 * hidden temporary file, then, when size and hash check out, given a
 * name no other file has. A transfer cut short leaves nothing visible.
 */
export async function receiveFile(
  chunks: AsyncIterable<Uint8Array>,
  dir: string,
  name: string,
  options: ReceiveFileOptions,
): Promise<ReceivedFile> {
  const { temp, file } = await openIncomingTemp(dir);
  const hash = createHash("sha256");
  const keep = options.keepHead ?? 0;
  const headParts: Uint8Array[] = [];
  let kept = 0;
  let size = 0;
  let written = 0;
  const onWritten = options.onWritten;
  onWritten?.(temp, 0);
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
        writing = onWritten
          ? writeAll(file, chunk).then(() => onWritten(temp, written += chunk.length))
          : writeAll(file, chunk);
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
    const finalName = same ?? await publishFile(temp, dir, name);
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
export async function findIdentical(
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

/**
 * Gives the finished temporary file `temp` the first free numbered version
 * of `name` in `dir`, and returns that name. A hard link takes the name
 * only if it is free, so no other file is ever replaced, and the temporary
 * name is removed after it. Renaming the file over an empty one reserved
 * first would do the same, but ext4 (`auto_da_alloc`) then writes the whole
 * file out before the rename returns: 80–110 ms for 256 MiB here, against
 * 0.3 ms for the link. Where links are not supported (FAT, exFAT), that is
 * what is done. `link` is `Deno.link` but in tests.
 */
export async function publishFile(
  temp: string,
  dir: string,
  name: string,
  link: (from: string, to: string) => Promise<void> = Deno.link,
): Promise<string> {
  for (let n = 1;; n++) {
    const candidate = numberedName(name, n);
    try {
      await link(temp, `${dir}/${candidate}`);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      if (error instanceof Deno.errors.NotCapable) throw error;
      // No hard links on this file system: reserve the name, then rename onto it.
      const reserved = await reserveName(dir, name);
      await Deno.rename(temp, `${dir}/${reserved}`).catch(async (rename) => {
        await Deno.remove(`${dir}/${reserved}`).catch(() => {/* the rename's error matters */});
        throw rename;
      });
      return reserved;
    }
    // Both names are the file now; one that cannot lose its temporary name keeps neither.
    await Deno.remove(temp).catch(async (removal) => {
      await Deno.remove(`${dir}/${candidate}`).catch(() => {/* the first error matters */});
      throw removal;
    });
    return candidate;
  }
}

/** Creates an empty file under the first free numbered version of `name`, and returns that name. */
export async function reserveName(dir: string, name: string): Promise<string> {
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
