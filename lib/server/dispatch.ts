/**
 * What the server does with each frame a user sends that is not an
 * attachment: a report request, a join request, a quit request or a chat
 * message. The room decides; this asks it, sends its answer and logs it.
 *
 * @module
 */
import { CODE, codeName, ProtocolError } from "../shared/wire/protocol_error.ts";
import { FLAG, JOIN_OPTION } from "../shared/wire/flags.ts";
import { type FrameHeader } from "../shared/wire/frame.ts";
import type { Room } from "./room/room.ts";
import { decodeText } from "../shared/text.ts";
import type { Logger } from "../shared/log.ts";
import type { Client, Delivery } from "./outbox.ts";

/** What {@linkcode dispatch} works with. */
export interface DispatchContext {
  /** Decides what every request leads to. */
  room: Room;
  /** Sends what the room decided. */
  delivery: Delivery;
  /** Where each request is reported. */
  logger: Logger;
}

/**
 * Handles one frame `client` sent, its payload read in full. Throws a
 * {@linkcode ProtocolError} for a frame a client may not send.
 */
export function dispatch(
  client: Client,
  frame: { header: FrameHeader; payload: Uint8Array },
  context: DispatchContext,
): void {
  const { header, payload } = frame;
  const { room, delivery, logger } = context;
  const id = client.id;
  const kind = header.flags & ~FLAG.HISTORY;
  if (kind === FLAG.REPORT_REQUEST) {
    logger.info(`${client.label} requested a report: ${room.members.length} active user(s)`);
    delivery.deliver(room.report(id));
  } else if (kind === FLAG.JOIN_REQUEST) {
    // A JOIN_REQUEST's PAYLOAD, if any, is the user's avatar (FILENAME names it).
    const avatar = payload.length ? { filename: header.filename, bytes: payload } : undefined;
    const out = delivery.deliver(
      room.join(id, header.username, client.conn.remoteAddr, {
        avatar,
        echo: (header.number & JOIN_OPTION.ECHO) !== 0,
      }),
    );
    const first = out[0];
    if ("frame" in first && first.frame.flags === FLAG.JOIN_ACCEPT) {
      logger.info(
        `${client.label} joined as "${header.username}"${
          avatar ? ` with avatar ${room.member(id)?.avatar?.filename}` : ""
        } (${room.members.length}/${room.maxUsers} users); sent ${first.frame.number} history entries`,
      );
    } else if ("frame" in first) {
      logger.info(
        `${client.label} join request as ${JSON.stringify(header.username)} rejected: ${
          codeName(first.frame.code ?? 0)
        }`,
      );
    }
  } else if (kind === FLAG.QUIT_REQUEST) {
    const name = room.member(id)?.username;
    delivery.deliver(room.quit(id));
    if (name) {
      logger.info(`${name} quit the chatroom (${room.members.length}/${room.maxUsers} users)`);
    }
  } else if (kind === 0) {
    const text = decodeText(payload);
    const name = room.member(id)?.username;
    delivery.deliver(room.chat(id, text));
    // A preview: a client must not be able to make the log grow 64 KiB a line.
    if (name) logger.info(`Message from ${name}: ${JSON.stringify(preview(text))}`);
    else logger.info(`${client.label} sent a message without joining; refused`);
  } else {
    throw new ProtocolError(
      CODE.BAD_FRAME,
      `Cannot handle a frame with flags 0x${
        kind.toString(16)
      }: a client may send a report request, a join request, a quit request, a chat message or an attachment`,
    );
  }
}

/** At most 200 characters of `text`, marked when cut. */
function preview(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text;
}
