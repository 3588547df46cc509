/**
 * What the server does with each request a user sends that is not an
 * attachment: a report request, a join request, a quit request or a chat
 * message. The room decides; this asks it, sends its answer and logs it.
 *
 * @module
 */
import { JOIN_OPTION } from "../shared/wire/flags.ts";
import type { FrameHeader } from "../shared/wire/frame.ts";
import { codeName } from "../shared/wire/protocol_error.ts";
import { decodeText } from "../shared/text.ts";
import type { Peer } from "./outbox.ts";
import type { ClientRequest } from "./client_frame.ts";
import type { ServerContext } from "./server_context.ts";

/** A request whose payload was read in full (everything but an attachment). */
export interface ReadRequest {
  /** What the frame asks for, as {@linkcode clientRequest} found it. */
  request: Exclude<ClientRequest, "attachment">;
  header: FrameHeader;
  payload: Uint8Array;
}

/** Handles one request `peer` sent. */
export function dispatch(peer: Peer, read: ReadRequest, context: ServerContext): void {
  const { header, payload } = read;
  const { room, outbox, logger } = context;
  const id = peer.id;
  switch (read.request) {
    case "report": {
      logger.infoThrottled(
        "report",
        `${peer.label} requested a report: ${room.members.length} active user(s)`,
        REQUEST_LOG,
      );
      return outbox.deliver(room.report(id));
    }
    case "join": {
      // A JOIN_REQUEST's PAYLOAD, if any, is the user's avatar (FILENAME names it).
      const avatar = payload.length ? { filename: header.filename, bytes: payload } : undefined;
      const decision = room.join(id, header.username, peer.conn.remoteAddr, {
        avatar,
        echo: (header.number & JOIN_OPTION.ECHO) !== 0,
        stream: (header.number & JOIN_OPTION.STREAM) !== 0,
      });
      outbox.deliver(decision.out);
      if (decision.accepted) {
        const { member, historyCount } = decision;
        logger.info(
          `${peer.label} joined as "${member.username}"${
            member.avatar ? ` with avatar ${member.avatar.filename}` : ""
          } (${room.members.length}/${room.maxUsers} users); sent ${historyCount} history entries`,
        );
      } else {
        logger.infoThrottled(
          "join rejected",
          `${peer.label} join request as ${JSON.stringify(header.username)} rejected: ${
            codeName(decision.code)
          }`,
          REQUEST_LOG,
        );
      }
      return;
    }
    case "quit": {
      const name = room.member(id)?.username;
      outbox.deliver(room.quit(id));
      if (name) {
        logger.info(`${name} quit the chatroom (${room.members.length}/${room.maxUsers} users)`);
      }
      return;
    }
    case "chat": {
      const text = decodeText(payload);
      const name = room.member(id)?.username;
      outbox.deliver(room.chat(id, text));
      // A preview: a client must not be able to make the log grow 64 KiB a line.
      if (name) logger.info(`Message from ${name}: ${JSON.stringify(preview(text))}`);
      else {
        logger.infoThrottled(
          "unjoined message",
          `${peer.label} sent a message without joining; refused`,
          REQUEST_LOG,
        );
      }
      return;
    }
  }
}

/**
 * Requests anyone may make without joining, and so make in floods from
 * many connections: at most 10 log lines of each kind a second, the next
 * one saying how many were left out.
 */
const REQUEST_LOG = { lines: 10 } as const;

/** At most 200 characters of `text`, marked when cut. */
function preview(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text;
}
