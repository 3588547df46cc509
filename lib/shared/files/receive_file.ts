/**
 * Receiving a file: streamed to a hidden temporary file with its SHA-256,
 * checked, then given a free name. A transfer cut short leaves nothing.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { writeAll } from "../net/byte_conn.ts";
import { concatBytes, sameBytes } from "../wire/bytes.ts";
import { toHex } from "../wire/wire_bytes.ts";
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
    const finalName = same ??
      await publishFile(temp, dir, name, undefined, { size, sha256: digest });
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

/**
 * What the receiving process knows of the numbered names in the folders it
 * saves into (`a.txt`, `a (2).txt`, …): for each name, the next number
 * worth trying, and the size, time and digest of each variant it has seen.
 * Without it the n-th file of one name cost n failed links, n `stat`s and
 * up to n hashes (a thousand same-named files took minutes). Only a hint:
 * a taken name still fails its link and the next is tried, and a known
 * variant is reused only while its size, inode and times are as they were.
 * Bounded: at most {@linkcode MAX_KNOWN_NAMES} names, {@linkcode MAX_KNOWN_VARIANTS}
 * variants of one and {@linkcode MAX_KNOWN_TOTAL} in all, the oldest
 * forgotten first (forgetting costs only time, or a copy saved twice).
 */
class KnownNames {
  #names = new Map<string, NameVariants>();

  /** What is known of `name` in `dir`, made the newest. */
  get(dir: string, name: string): NameVariants {
    const key = `${dir}\0${name}`;
    let variants = this.#names.get(key);
    if (variants) this.#names.delete(key);
    else variants = { next: 1, byDigest: new Map(), unhashed: [] };
    this.#names.set(key, variants);
    if (this.#names.size > MAX_KNOWN_NAMES) this.#names.delete(this.#names.keys().next().value!);
    // And at most MAX_KNOWN_TOTAL variants in all: the oldest names go first, never this one.
    let total = 0;
    for (const known of this.#names.values()) total += known.byDigest.size + known.unhashed.length;
    for (const [oldest, known] of this.#names) {
      if (total <= MAX_KNOWN_TOTAL || oldest === key) break;
      total -= known.byDigest.size + known.unhashed.length;
      this.#names.delete(oldest);
    }
    return variants;
  }
}

/** How many folder-and-name pairs {@linkcode KnownNames} remembers. */
export const MAX_KNOWN_NAMES = 1024;

/** How many variants {@linkcode KnownNames} remembers in all (about 200 bytes each). */
export const MAX_KNOWN_TOTAL = 50_000;

/** The numbered variants of one name in one folder. */
interface NameVariants {
  /** The lowest number not known to be taken (or not looked at yet). */
  next: number;
  /** Variants by `size:digest`. */
  byDigest: Map<string, Variant>;
  /** Variants seen but not hashed yet (hashed when a file of their size comes). */
  unhashed: Variant[];
}

interface Variant {
  name: string;
  size: number;
  /** The file's identity and times, as `stat` gave them when it was seen (see {@linkcode stamp}). */
  stamp: string;
}

/**
 * What tells one state of a file from another without reading it: inode,
 * modification and status-change times (null where the system keeps
 * none). A file rewritten in place changes its times; one replaced, its
 * inode.
 */
function stamp(info: Deno.FileInfo): string {
  return `${info.ino ?? ""}:${info.mtime?.getTime() ?? ""}:${info.ctime?.getTime() ?? ""}`;
}

const known = new KnownNames();

/** How many variants of one name {@linkcode KnownNames} remembers, the oldest forgotten first. */
export const MAX_KNOWN_VARIANTS = 10_000;

function remember(list: Variant[], variant: Variant): void {
  list.push(variant);
  if (list.length > MAX_KNOWN_VARIANTS) list.shift();
}

function rememberDigest(map: Map<string, Variant>, key: string, variant: Variant): void {
  map.delete(key);
  map.set(key, variant);
  if (map.size > MAX_KNOWN_VARIANTS) map.delete(map.keys().next().value!);
}

function digestKey(size: number, sha256: Uint8Array): string {
  return `${size}:${toHex(sha256)}`;
}

/** True if the variant is on disk still as it was seen (not gone, not another file). */
async function unchanged(dir: string, variant: Variant): Promise<boolean> {
  try {
    const info = await Deno.stat(`${dir}/${variant.name}`);
    return info.isFile && info.size === variant.size && stamp(info) === variant.stamp;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * The numbered variant of `name` in `dir` whose content has this size and
 * digest, if any. The first call for a name looks at every variant once
 * (hashing only those of the size asked for); later calls look only at
 * variants saved since, by another process, look up what was seen,
 * hashing a variant at most once, and `stat` only the one found.
 */
export async function findIdentical(
  dir: string,
  name: string,
  size: number,
  sha256: Uint8Array,
): Promise<string | null> {
  const variants = known.get(dir, name);
  // The variants not seen yet: all of them the first time, then those another
  // process saved since (a folder two clients share).
  for (let n = variants.next;; n++) {
    const candidate = numberedName(name, n);
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(`${dir}/${candidate}`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) break;
      throw error;
    }
    if (info.isFile) {
      remember(variants.unhashed, { name: candidate, size: info.size, stamp: stamp(info) });
    }
    variants.next = n + 1;
  }
  // Hash, once each, the variants of this size not hashed yet; taken off the list before any
  // await, so that a call for the same name meanwhile neither hashes them too nor loses any.
  const toHash = variants.unhashed.filter((variant) => variant.size === size);
  variants.unhashed = variants.unhashed.filter((variant) => variant.size !== size);
  for (const variant of toHash) {
    try {
      const { sha256: digest } = await hashFile(`${dir}/${variant.name}`);
      rememberDigest(variants.byDigest, digestKey(variant.size, digest), variant);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  const key = digestKey(size, sha256);
  const match = variants.byDigest.get(key);
  if (!match) return null;
  if (await unchanged(dir, match)) return match.name;
  // Changed or gone since: forgotten (a copy may be saved where it could have been reused).
  variants.byDigest.delete(key);
  return null;
}

/**
 * Remembers that variant `saved` (number `n`) in `dir` now holds `content`
 * (just published): the next file of that name tries the number after it
 * first, and an identical one finds it.
 */
async function rememberSaved(
  variants: NameVariants,
  dir: string,
  n: number,
  saved: string,
  content?: { size: number; sha256: Uint8Array },
): Promise<void> {
  variants.next = Math.max(variants.next, n + 1);
  if (!content) return;
  try {
    const info = await Deno.stat(`${dir}/${saved}`);
    rememberDigest(variants.byDigest, digestKey(content.size, content.sha256), {
      name: saved,
      size: content.size,
      stamp: stamp(info),
    });
  } catch {
    // Not remembered: found by a scan, if need be.
  }
}

/**
 * Gives the finished temporary file `temp` its name in `dir`, or else the
 * first free numbered version of it from the first not known to be taken
 * (see {@linkcode findIdentical}), and returns that name. A hard link takes the
 * name only if it is free, so no other file is ever replaced, and the
 * temporary name is removed after it. Renaming the file over an empty one
 * reserved first would do the same, but ext4 (`auto_da_alloc`) then writes
 * the whole file out before the rename returns: 80–110 ms for 256 MiB
 * here, against 0.3 ms for the link. Where links are not supported (FAT,
 * exFAT), that is what is done. `link` is `Deno.link` but in tests.
 * `content`, the file's size and digest, lets an identical file that comes
 * later find this one without hashing it.
 */
export async function publishFile(
  temp: string,
  dir: string,
  name: string,
  link: (from: string, to: string) => Promise<void> = Deno.link,
  content?: { size: number; sha256: Uint8Array },
): Promise<string> {
  // The name itself first (its file may have been removed), then on from the first not known taken.
  const variants = known.get(dir, name);
  const next = variants.next;
  for (let n = 1;; n = n === 1 ? Math.max(2, next) : n + 1) {
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
      await rememberSaved(variants, dir, 1, reserved, content);
      return reserved;
    }
    // Both names are the file now; one that cannot lose its temporary name keeps neither.
    await Deno.remove(temp).catch(async (removal) => {
      await Deno.remove(`${dir}/${candidate}`).catch(() => {/* the first error matters */});
      throw removal;
    });
    await rememberSaved(variants, dir, n, candidate, content);
    return candidate;
  }
}

/**
 * Creates an empty file under `name`, or else the first free numbered
 * version of it from the first not known to be taken, and returns that name.
 */
export async function reserveName(dir: string, name: string): Promise<string> {
  const variants = known.get(dir, name);
  for (let n = 1;; n = n === 1 ? Math.max(2, variants.next) : n + 1) {
    const candidate = numberedName(name, n);
    try {
      const f = await Deno.open(`${dir}/${candidate}`, { write: true, createNew: true });
      f.close();
      variants.next = Math.max(variants.next, n + 1);
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
