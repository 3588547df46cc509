/**
 * An ATTACHMENT frame from the server, turned into the session's
 * `attachment` event: the room's copy of one of our uploads (ECHO), or a
 * file to receive, within this client's limits.
 *
 * @module
 */
import { FLAG, hasFlag } from "../shared/wire/flags.ts";
import { type FrameHeader } from "../shared/wire/frame.ts";
import { toHex } from "../shared/wire/wire_bytes.ts";
import type { FrameReader } from "../shared/net/frame_reader.ts";
import { type ProgressListener, saveAttachment } from "./attachment_streams.ts";
import { type FreeSpace } from "./download_limit.ts";
import { attachmentEvent, type RoomEvent } from "./room_event.ts";
import { type UploadLedger } from "./upload_ledger.ts";

/** What {@linkcode receiveAttachment} needs to know of the session. */
export interface ReceiveAttachmentContext {
  /** The session's unconfirmed uploads. */
  uploads: UploadLedger;
  /** The session's username, or `null` if not in the room. */
  username: string | null;
  /** Folder where received attachments are saved. */
  downloadsDir: string;
  /** Leading bytes kept in memory (to print text files). */
  keepHead: number;
  /** Told after every chunk received. */
  onProgress?: ProgressListener;
  /** Largest attachment saved, in bytes. */
  maxBytes: number;
  /** Tells the free bytes in the downloads folder, if it can. */
  freeSpace?: FreeSpace;
}

/**
 * Reads the payload of the attachment whose header was just read and
 * returns its event. A file that cannot or may not be saved is skipped and
 * its event carries the reason; only a frame that is cut short or too big
 * to skip throws (a {@linkcode ProtocolError}).
 */
export async function receiveAttachment(
  reader: FrameReader,
  header: FrameHeader,
  context: ReceiveAttachmentContext,
): Promise<RoomEvent> {
  const { uploads, downloadsDir, keepHead } = context;
  if (hasFlag(header, FLAG.ECHO)) {
    await reader.skipPayload(); // there should be none
    const { file, size } = await uploads.confirm(header, { downloadsDir, keepHead });
    return attachmentEvent(header, file, size);
  }
  if (!hasFlag(header, FLAG.HISTORY) && header.sender === context.username) {
    // Our own file, sent back in full by a server that predates ECHO.
    uploads.take(toHex(header.sha256));
  }
  const file = await saveAttachment(reader, header, context);
  return attachmentEvent(header, file);
}
