/**
 * The client's attachment byte streams: a file to upload, cut or padded to
 * the size its header promised; a download saved to disk; and progress
 * counting for both.
 *
 * @module
 */
import { type FrameHeader } from "../shared/wire/frame.ts";
import { ProtocolError } from "../shared/wire/protocol_error.ts";
import type { FrameReader } from "../shared/net/frame_reader.ts";
import { readFileExactly } from "../shared/files/read_file.ts";
import { FileCheckError, type ReceivedFile, receiveFile } from "../shared/files/receive_file.ts";
import { safeFileName } from "../shared/files/safe_file_name.ts";
import { errorText } from "../shared/error_text.ts";
import { DEFAULT_MAX_DOWNLOAD, downloadRefusal, type FreeSpace } from "./download_limit.ts";

/**
 * How far a file transfer has got. Uploads run one at a time, and so do
 * whole-frame downloads; downloads forwarded as they arrive (STREAM) may
 * run several at once, told apart by `id`. A streamed download given up
 * short of its size reports `done` = `total` once, so displays drop it.
 */
export interface TransferProgress {
  direction: "upload" | "download";
  /** The file name as sent (upload) or as announced by the server (download). */
  filename: string;
  /** The transfer id of a download forwarded as it arrives; absent otherwise. */
  id?: number;
  /** Bytes handed to the connection (upload) or received (download) so far. */
  done: number;
  /** Size of the whole file in bytes. */
  total: number;
}

/** Told after every chunk of an attachment sent or received. */
export type ProgressListener = (progress: TransferProgress) => void;

/** Passes `chunks` through, telling `onProgress` (if set) how far they got. */
export async function* countProgress(
  chunks: AsyncIterable<Uint8Array>,
  transfer: Omit<TransferProgress, "done"> & { onProgress?: ProgressListener },
): AsyncGenerator<Uint8Array> {
  const { direction, filename, total, onProgress } = transfer;
  let done = 0;
  for await (const chunk of chunks) {
    done += chunk.length;
    onProgress?.({ direction, filename, done, total });
    yield chunk;
  }
}

/** Options for {@linkcode uploadChunks}. */
export interface UploadChunksOptions {
  /** The FILENAME announced, as progress reports it. */
  filename: string;
  /** Bytes the header promised (the size when the file was hashed). */
  size: number;
  /** Told after every chunk handed to the connection. */
  onProgress?: ProgressListener;
}

/** The payload of an upload of the file at `path`: exactly `size` bytes, counted. */
export function uploadChunks(
  path: string,
  options: UploadChunksOptions,
): AsyncGenerator<Uint8Array> {
  const { filename, size, onProgress } = options;
  return countProgress(readFileExactly(path, size), {
    direction: "upload",
    filename,
    total: size,
    onProgress,
  });
}

/** Options for {@linkcode saveAttachment}. */
export interface SaveAttachmentOptions {
  /** Folder where received attachments are saved. */
  downloadsDir: string;
  /** Leading bytes kept in memory (to print text files). */
  keepHead: number;
  /** Told after every chunk received. */
  onProgress?: ProgressListener;
  /** Largest attachment saved, in bytes. @default {@linkcode DEFAULT_MAX_DOWNLOAD} */
  maxBytes?: number;
  /** Tells the free bytes in the downloads folder, if it can. @default none: not checked */
  freeSpace?: FreeSpace;
}

/**
 * Saves the attachment whose header was just read. A file that cannot or
 * may not be saved (over the size limit or the free space, disk full, wrong
 * digest) is skipped and its error returned; only a frame cut short or too
 * big to skip throws.
 */
export async function saveAttachment(
  reader: FrameReader,
  header: FrameHeader,
  options: SaveAttachmentOptions,
): Promise<ReceivedFile | { error: string }> {
  const refusal = await downloadRefusal(header, {
    downloadsDir: options.downloadsDir,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_DOWNLOAD,
    freeSpace: options.freeSpace,
  });
  if (refusal !== null) {
    await reader.skipPayload();
    return { error: refusal };
  }
  try {
    const chunks = countProgress(reader.payloadChunks(), {
      direction: "download",
      filename: header.filename,
      total: header.payloadLength,
      onProgress: options.onProgress,
    });
    return await receiveFile(
      chunks,
      options.downloadsDir,
      // Never trust the server with a path: "../x" or, on Windows, "..\x" would escape.
      safeFileName(header.filename),
      {
        size: header.payloadLength,
        sha256: header.sha256.length ? header.sha256 : undefined,
        keepHead: options.keepHead,
        reuseIdentical: true,
      },
    );
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    await reader.skipPayload();
    return { error: errorText(error) };
  }
}

/**
 * Saves the room's copy of an attachment this client uploaded, which the
 * server confirmed with an ECHO frame instead of sending it back: the file
 * at `path` (the `size` bytes that were sent) goes into the downloads
 * folder under the server's name, checked against the header's SHA-256 (a
 * file changed since it was sent is not passed off as the one the room
 * has). Failures are returned, like {@linkcode saveAttachment}'s.
 */
export async function saveOwnUpload(
  path: string,
  size: number,
  header: FrameHeader,
  options: Pick<SaveAttachmentOptions, "downloadsDir" | "keepHead">,
): Promise<ReceivedFile | { error: string }> {
  try {
    return await receiveFile(
      readFileExactly(path, size),
      options.downloadsDir,
      safeFileName(header.filename),
      { size, sha256: header.sha256, keepHead: options.keepHead, reuseIdentical: true },
    );
  } catch (error) {
    if (error instanceof FileCheckError) {
      return { error: `${path} changed after it was sent, so it is not the room's copy` };
    }
    return { error: errorText(error) };
  }
}
