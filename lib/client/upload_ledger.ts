/**
 * The uploads a session sent and the server has not yet confirmed with an
 * ECHO frame, and how a confirmation turns one into the room's copy.
 *
 * @module
 */
import { type FrameHeader } from "../shared/wire/frame.ts";
import { toHex } from "../shared/wire/wire_bytes.ts";
import { type ReceivedFile } from "../shared/files/receive_file.ts";
import { saveOwnUpload } from "./attachment_streams.ts";

/** Most uploads kept waiting for the server's ECHO; refused ones never get it. */
export const MAX_UNCONFIRMED_UPLOADS = 64;

/** An upload waiting for the server's ECHO. */
export interface SentFile {
  /** SHA-256 of what was sent, in hex. */
  sha256: string;
  /** The file it was read from. */
  path: string;
  /** Bytes sent. */
  size: number;
}

/** Where {@linkcode UploadLedger.confirm} saves the room's copy. */
export interface ConfirmOptions {
  /** Folder where received attachments are saved. */
  downloadsDir: string;
  /** Leading bytes kept in memory (to print text files). */
  keepHead: number;
}

/** What a confirmation resolved to: the saved copy (or why not) and the size that was sent. */
export interface ConfirmedUpload {
  file: ReceivedFile | { error: string };
  size?: number;
}

/**
 * Files this session uploaded and the server has not yet confirmed, oldest
 * first. The server confirms each with an ECHO frame (the session asks for
 * that when joining), and the room's copy is then taken from the file here
 * instead of being sent back. A refused upload stays here until a later
 * ECHO with the same SHA-256 tries it and passes over it, or the
 * connection ends ({@linkcode UploadLedger.clear}).
 */
export class UploadLedger {
  #uploads: SentFile[] = [];

  /** Remembers an upload; only the newest {@linkcode MAX_UNCONFIRMED_UPLOADS} are kept. */
  add(sent: SentFile): void {
    this.#uploads.push(sent);
    if (this.#uploads.length > MAX_UNCONFIRMED_UPLOADS) this.#uploads.shift();
  }

  /** Removes and returns the oldest unconfirmed upload with this SHA-256 (hex). */
  take(sha256: string): SentFile | undefined {
    const i = this.#uploads.findIndex((sent) => sent.sha256 === sha256);
    return i < 0 ? undefined : this.#uploads.splice(i, 1)[0];
  }

  /** Forgets every upload: an ECHO can only come on the connection that sent the file. */
  clear(): void {
    this.#uploads = [];
  }

  /**
   * The server confirmed one of our uploads: the room's copy is the file we
   * sent. The oldest upload with that SHA-256 whose file still matches it is
   * the one; those before it that no longer match (refused uploads whose
   * file changed since) are dropped.
   */
  async confirm(header: FrameHeader, options: ConfirmOptions): Promise<ConfirmedUpload> {
    const sha256 = toHex(header.sha256);
    let last: ConfirmedUpload = {
      file: { error: `the server confirmed ${header.filename}, which this session did not send` },
    };
    for (let sent = this.take(sha256); sent; sent = this.take(sha256)) {
      const file = await saveOwnUpload(sent.path, sent.size, header, options);
      if (!("error" in file)) return { file, size: sent.size };
      last = { file, size: sent.size };
    }
    return last;
  }
}
