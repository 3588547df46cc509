/**
 * What this client agrees to download: no attachment over its own size
 * limit (`--max-download`), none that would leave the downloads folder's
 * disk with less than {@linkcode MIN_FREE_AFTER_DOWNLOAD} free (where that
 * can be told), and none so big that even skipping it is unreasonable.
 *
 * @module
 */
import { type FrameHeader } from "../shared/wire/frame.ts";
import { CODE, ProtocolError } from "../shared/wire/protocol_error.ts";
import { formatBytes } from "../shared/format.ts";

/** The default of `--max-download`: 1 GiB. */
export const DEFAULT_MAX_DOWNLOAD = 1024 ** 3;

/**
 * Largest refused attachment whose bytes are read and dropped so the client
 * stays in the room; a bigger one closes the connection. 64 GiB: a few
 * minutes on a fast network, while a server announcing petabytes is not
 * going to send something worth waiting for.
 */
export const MAX_SKIP_BYTES = 64 * 1024 ** 3;

/**
 * What downloads always leave free on their disk, 64 MiB: a server sending
 * file after file (each under `--max-download`) cannot fill it to the last
 * byte, which would break more than this client.
 */
export const MIN_FREE_AFTER_DOWNLOAD = 64 * 1024 ** 2;

/** Tells the free bytes in a folder, or `null` if it cannot be told. */
export type FreeSpace = (dir: string) => Promise<number | null>;

/** The limits {@linkcode downloadRefusal} applies. */
export interface DownloadLimits {
  /** Folder where received attachments are saved. */
  downloadsDir: string;
  /** Largest attachment saved, in bytes. */
  maxBytes: number;
  /** Tells the free bytes in the downloads folder, if it can. */
  freeSpace?: FreeSpace;
}

/**
 * Why the attachment whose header was just read must not be saved, or
 * `null` if it may be.
 *
 * @throws {ProtocolError} if it is over {@linkcode MAX_SKIP_BYTES}: too big to skip.
 */
export async function downloadRefusal(
  header: FrameHeader,
  limits: DownloadLimits,
): Promise<string | null> {
  const size = header.payloadLength;
  if (size > Math.max(MAX_SKIP_BYTES, limits.maxBytes)) {
    throw new ProtocolError(
      CODE.PAYLOAD_TOO_LARGE,
      `the attachment ${JSON.stringify(header.filename)} is ${size} bytes (${
        formatBytes(size)
      }), over this client's limit of ${limits.maxBytes} ` +
        `bytes and too big to skip`,
    );
  }
  if (size > limits.maxBytes) {
    return `it is ${size} bytes, over this client's limit of ${limits.maxBytes} bytes ` +
      `(--max-download); skipped`;
  }
  const free = await limits.freeSpace?.(limits.downloadsDir) ?? null;
  if (free !== null && size + MIN_FREE_AFTER_DOWNLOAD > free) {
    return `it is ${size} bytes, and ${limits.downloadsDir}/ has ${free} bytes free: saving it ` +
      `would leave less than ${formatBytes(MIN_FREE_AFTER_DOWNLOAD)}; skipped`;
  }
  return null;
}
