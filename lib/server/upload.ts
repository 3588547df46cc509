/**
 * The server side of an upload: an ATTACHMENT frame from a user is checked,
 * streamed to disk (and, as it arrives, to those who asked for STREAM),
 * verified, recorded in the room and forwarded, or refused
 * with an ERROR frame to its sender while the rest of it is skipped. One
 * over --max-attachment is refused and its connection closed: the server
 * does not read that much only to throw it away.
 *
 * @module
 */
import { CODE, ProtocolError } from "../shared/wire/protocol_error.ts";
import { FLAG } from "../shared/wire/flags.ts";
import { type FrameHeader } from "../shared/wire/frame.ts";
import { SHA256_BYTES } from "../shared/wire/layout.ts";
import { toHex } from "../shared/wire/wire_bytes.ts";
import { FileCheckError, receiveFile } from "../shared/files/receive_file.ts";
import { safeFileName } from "../shared/files/safe_file_name.ts";
import { formatBytes } from "../shared/format.ts";
import { untilAborted } from "../shared/abortable.ts";
import type { Peer } from "./outbox.ts";
import type { ServerContext } from "./server_context.ts";
import { GrowingFile } from "./transfer_file.ts";
import { errorText, peerErrorText } from "../shared/error_text.ts";

/**
 * Receives the attachment whose header `client` just sent. Refusals are the
 * sender's problem, told to them; a frame cut short or the shutdown throw.
 */
export async function receiveAttachment(
  peer: Peer,
  header: FrameHeader,
  context: ServerContext,
): Promise<void> {
  const { room, outbox, logger } = context;
  const name = safeFileName(header.filename);
  const refuse = (code: number, text: string) => {
    logger.info(
      `Attachment ${JSON.stringify(header.filename)} from ${peer.label} refused: ${text}`,
    );
    outbox.send([peer.id], { flags: FLAG.ERROR, code, payload: text });
  };
  outbox.traceReceived(peer.id, header);
  if (header.payloadLength > context.maxAttachment) {
    // Past what the server will read to skip: refused, and the connection
    // closed (peer.ts sends the ERROR first and closes gracefully). A sender
    // cannot stop mid-frame, so keeping it would mean reading it all.
    throw new ProtocolError(
      CODE.ATTACHMENT_TOO_LARGE,
      `Cannot accept ${name}: it is ${header.payloadLength} bytes, over the server's limit of ${
        exactBytes(context.maxAttachment)
      }; closing the connection.`,
    );
  }
  const refusal = room.uploadRefusal(peer.id);
  if (refusal || header.sha256.length !== SHA256_BYTES) {
    // Say no at once, then skip what the sender streams anyway (at most --max-attachment).
    if (refusal) outbox.deliver([refusal]);
    else {
      refuse(
        CODE.ATTACHMENT_NO_DIGEST,
        `Cannot accept ${name}: the attachment has no SHA-256 digest.`,
      );
    }
    return await peer.reader.skipPayload();
  }
  const sender = room.member(peer.id)!.username;
  const size = header.payloadLength;
  logger.info(`Receiving attachment ${name} (${formatBytes(size)}) from ${sender}`);
  // Forwarded as it arrives to those who asked for STREAM (after the checks above).
  const file = new GrowingFile();
  const transfer = outbox.beginTransfer(
    { sender, filename: name, sha256: header.sha256, size, timestamp: Date.now() },
    room.streamReceivers(peer.id),
    file,
  );
  // Closes the transfer, telling its receivers (if any are left) why.
  const discard = (why: string) => outbox.discard(transfer, why);
  // However the stream ended (cut short, timed out, reset), the receivers hear how much came.
  const brokeOff = () =>
    discard(
      `${sender}'s upload of ${name} broke off after ${
        formatBytes(size - peer.reader.payloadLeft)
      } of ${formatBytes(size)}.`,
    );
  let stored;
  try {
    const chunks = untilAborted(peer.reader.payloadChunks(), context.stopping);
    stored = await receiveFile(
      forwarded(chunks, (chunk) => outbox.forward(transfer, chunk)),
      context.downloadsDir,
      name,
      { size, sha256: header.sha256, onWritten: (temp, n) => file.grew(temp, n) },
    );
  } catch (error) {
    if (context.stopping.aborted) {
      discard(`${sender}'s upload of ${name} was cut off by the server's shutdown.`);
      logger.info(`Upload of ${name} from ${sender} aborted by the shutdown; nothing stored`);
      throw error;
    }
    if (error instanceof ProtocolError) {
      brokeOff();
      throw error;
    }
    await peer.reader.skipPayload().catch((skip) => {
      brokeOff();
      throw skip;
    });
    if (error instanceof FileCheckError) {
      discard(`${sender}'s upload of ${name} was damaged in transit (its SHA-256 does not match).`);
      return refuse(CODE.ATTACHMENT_HASH_MISMATCH, error.message);
    }
    discard(`The server could not store ${sender}'s upload of ${name}.`);
    // The sender hears why without the server's paths; the log keeps the whole message.
    logger.info(`Cannot store ${name} from ${sender}: ${errorText(error)}`);
    return refuse(CODE.SERVER_ERROR, `The server could not store ${name}: ${peerErrorText(error)}`);
  }
  try {
    outbox.deliver(room.attachment(peer.id, {
      filename: name,
      storedName: stored.name,
      size: stored.size,
      sha256: stored.sha256,
    }, transfer.receivers.length ? { id: transfer.id, to: transfer.receivers } : undefined));
  } catch (error) {
    discard(`The server could not record ${sender}'s upload of ${name}.`);
    // Not in the history, so not in downloads/ either: no record without a file, no file without one.
    await Deno.remove(stored.path).catch((removal) =>
      logger.info(`Cannot remove ${stored.path}: ${errorText(removal)}`)
    );
    throw error;
  }
  // Not recorded after all (the room refused it): no transfer may stay open.
  if (outbox.isOpen(transfer)) discard(`${sender}'s upload of ${name} was not recorded.`);
  // The sender is sent the file back unless it asked for an ECHO header instead.
  const backToSender = !room.member(peer.id)?.echo;
  const others = room.members.length - 1;
  logger.info(
    `Attachment ${name} from ${sender} saved as ${stored.path} (${
      formatBytes(stored.size)
    }, sha256 ${toHex(stored.sha256).slice(0, 16)}…); forwarding to ${others} other user(s)${
      backToSender ? " and back to the sender" : ""
    }`,
  );
}

/** `chunks`, each handed to `onChunk` (forwarded to the receivers) before it is stored. */
async function* forwarded(
  chunks: AsyncIterable<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    onChunk(chunk);
    yield chunk;
  }
}

/** `n` bytes exactly, and rounded when that is shorter: `104857600 bytes (100 MiB)`. */
function exactBytes(n: number): string {
  return n < 1024 ? `${n} bytes` : `${n} bytes (${formatBytes(n)})`;
}
