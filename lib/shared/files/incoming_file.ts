/**
 * A file received in pieces that are pushed to it as they arrive (rather
 * than pulled from one stream, as `receiveFile` does): hashed at
 * once, written to a hidden temporary file in the background, then checked
 * and given its name — or removed, leaving nothing.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { writeAll } from "../net/byte_conn.ts";
import { concatBytes, sameBytes } from "../wire/bytes.ts";
import {
  FileCheckError,
  findIdentical,
  openIncomingTemp,
  publishFile,
  type ReceivedFile,
  type ReceiveFileOptions,
} from "./receive_file.ts";

/** Options for {@linkcode IncomingFile.open}. */
export interface IncomingFileOptions extends ReceiveFileOptions {
  /**
   * Bytes that may wait for the disk before {@linkcode IncomingFile.push}
   * makes its caller wait too: a slow disk holds back the sender only once
   * this much is queued. @default 1048576 (1 MiB)
   */
  maxQueued?: number;
}

/** What {@linkcode IncomingFile.push} keeps of the default. */
const DEFAULT_MAX_QUEUED = 1024 * 1024;

/**
 * A file being received piece by piece into `dir`. Pieces are hashed when
 * pushed and written in order, one write at a time, while the caller goes
 * on (reading the next frame, showing a chat line). {@linkcode finish}
 * checks size and digest and gives the file a free name, as
 * `receiveFile` does; {@linkcode abort} removes it. A write that
 * fails (disk full) removes the temporary file at once: later pieces are
 * only counted, and {@linkcode finish} throws that error.
 *
 * @example
 * ```ts
 * const file = await IncomingFile.open("downloads", "a.txt", { size: 2 });
 * await file.push(new Uint8Array([104, 105]));
 * const saved = await file.finish(); // downloads/a.txt
 * ```
 */
export class IncomingFile {
  #dir: string;
  #name: string;
  #temp: string;
  #file: Deno.FsFile | null;
  /** True until the temporary file is renamed or removed. */
  #tempLeft = true;
  #options: IncomingFileOptions;
  #maxQueued: number;
  #hash = createHash("sha256");
  #headParts: Uint8Array[] = [];
  #kept = 0;
  #size = 0;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writer: Promise<void> | null = null;
  #room: PromiseWithResolvers<void> | null = null;
  #failure: { error: unknown } | null = null;
  #stopping = false;
  #ended = false;

  private constructor(
    dir: string,
    name: string,
    temp: string,
    file: Deno.FsFile,
    options: IncomingFileOptions,
  ) {
    this.#dir = dir;
    this.#name = name;
    this.#temp = temp;
    this.#file = file;
    this.#options = options;
    this.#maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
  }

  /** Creates `dir` if need be and a hidden temporary file in it, for a file to be named `name`. */
  static async open(
    dir: string,
    name: string,
    options: IncomingFileOptions,
  ): Promise<IncomingFile> {
    const { temp, file } = await openIncomingTemp(dir);
    return new IncomingFile(dir, name, temp, file, options);
  }

  /** Bytes pushed so far. */
  get received(): number {
    return this.#size;
  }

  /** The temporary file's path (gone once finished, aborted or failed). */
  get tempPath(): string {
    return this.#temp;
  }

  /**
   * Hashes `chunk` and queues it for the disk; the chunk is kept, not
   * copied, so the caller must not reuse its buffer. Resolves at once while
   * at most `maxQueued` bytes wait, else once the queue is back under it.
   */
  push(chunk: Uint8Array): Promise<void> {
    if (this.#ended) {
      throw new Error(`Cannot add to ${this.#name}: the file was already finished or aborted`);
    }
    this.#size += chunk.length;
    this.#hash.update(chunk);
    const keep = this.#options.keepHead ?? 0;
    if (this.#kept < keep) {
      const part = chunk.slice(0, keep - this.#kept);
      this.#headParts.push(part);
      this.#kept += part.length;
    }
    if (this.#failure) return Promise.resolve(); // the file is gone: only counted
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    this.#writer ??= this.#drain();
    if (this.#queued <= this.#maxQueued) return Promise.resolve();
    this.#room ??= Promise.withResolvers<void>();
    return this.#room.promise;
  }

  /** Writes the queue in order until it is empty, the file is aborted or a write fails. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && !this.#stopping && !this.#failure) {
      const chunk = this.#queue[0];
      try {
        await writeAll(this.#file!, chunk);
      } catch (error) {
        this.#failure = { error };
      }
      this.#queue.shift();
      this.#queued -= chunk.length;
      if (this.#queued <= this.#maxQueued) this.#wake();
    }
    if (this.#failure) {
      this.#queue = [];
      this.#queued = 0;
      await this.#release(); // free the disk now, not when the transfer ends
    }
    this.#writer = null;
    this.#wake();
  }

  #wake(): void {
    this.#room?.resolve();
    this.#room = null;
  }

  /**
   * Waits for the queued writes, checks the size and the SHA-256 and moves
   * the file to a free version of its name (or to an identical file
   * already there, with `reuseIdentical`).
   *
   * @throws {FileCheckError} on a wrong size or digest (the file is removed).
   * @throws the error of a write that failed, or of the rename.
   */
  async finish(): Promise<ReceivedFile> {
    this.#ended = true;
    await this.#writer;
    try {
      if (this.#failure) throw this.#failure.error;
      this.#file?.close();
      this.#file = null;
      const digest = new Uint8Array(this.#hash.digest());
      const name = this.#name;
      const dir = this.#dir;
      if (this.#size !== this.#options.size) {
        throw new FileCheckError(
          `Cannot save ${name}: received ${this.#size} bytes, expected ${this.#options.size}`,
        );
      }
      if (this.#options.sha256 && !sameBytes(digest, this.#options.sha256)) {
        throw new FileCheckError(
          `Cannot save ${name}: its SHA-256 does not match the one announced; the file was damaged in transit`,
        );
      }
      const same = this.#options.reuseIdentical
        ? await findIdentical(dir, name, this.#size, digest)
        : null;
      if (same) await Deno.remove(this.#temp);
      const finalName = same ??
        await publishFile(this.#temp, dir, name, undefined, { size: this.#size, sha256: digest });
      this.#tempLeft = false;
      return {
        path: `${dir}/${finalName}`,
        name: finalName,
        size: this.#size,
        sha256: digest,
        head: concatBytes(this.#headParts),
      };
    } catch (error) {
      await this.#release();
      throw error;
    }
  }

  /** Stops writing and removes the temporary file; a file already finished is left alone. */
  async abort(): Promise<void> {
    this.#ended = true;
    this.#stopping = true;
    await this.#writer;
    await this.#release();
  }

  /** Closes the temporary file and removes it, if not done yet. */
  async #release(): Promise<void> {
    this.#file?.close();
    this.#file = null;
    if (!this.#tempLeft) return;
    this.#tempLeft = false;
    await Deno.remove(this.#temp).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}
