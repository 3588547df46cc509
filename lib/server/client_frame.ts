/**
 * What a client may send, checked once, as each frame's header arrives:
 * the frame is one of five requests, or a protocol error that closes the
 * connection.
 *
 * @module
 */
import { FLAG } from "../shared/wire/flags.ts";
import type { FrameHeader } from "../shared/wire/frame.ts";
import { CODE, ProtocolError } from "../shared/wire/protocol_error.ts";

/** The requests a client may make, one per kind of frame it may send. */
export type ClientRequest = "report" | "join" | "quit" | "chat" | "attachment";

/** The FLAGS of each request a client may send; a chat line sets none. */
const REQUEST_FLAGS: ReadonlyMap<number, ClientRequest> = new Map([
  [FLAG.REPORT_REQUEST, "report"],
  [FLAG.JOIN_REQUEST, "join"],
  [FLAG.QUIT_REQUEST, "quit"],
  [0, "chat"],
  [FLAG.ATTACHMENT, "attachment"],
]);

/**
 * The request a client's frame makes. Throws a BAD_FRAME
 * {@linkcode ProtocolError} for any other combination of flags, such as
 * the server's own (ECHO, HISTORY, ERROR, NOTICE, AVATAR) or two requests
 * in one frame.
 */
export function clientRequest(header: FrameHeader): ClientRequest {
  const request = REQUEST_FLAGS.get(header.flags);
  if (request) return request;
  const flags = `0x${header.flags.toString(16).padStart(4, "0")}`;
  const serverOnly = SERVER_FLAGS.filter(([, bit]) => (header.flags & bit) !== 0);
  const why = serverOnly.length
    ? `${serverOnly.map(([name, bit]) => `${name} (0x${bit.toString(16)})`).join(", ")} ${
      serverOnly.length === 1 ? "is" : "are"
    } sent by the server only`
    : "a client may send a report request (0x0001), a join request (0x0004), a quit request (0x0040), a chat message (0x0000) or an attachment (0x0100), one per frame";
  throw new ProtocolError(CODE.BAD_FRAME, `Cannot accept a frame with flags ${flags}: ${why}`);
}

/** The flags only a server sends, by name. */
const SERVER_FLAGS = Object.entries(FLAG).filter(([name]) =>
  !["REPORT_REQUEST", "JOIN_REQUEST", "QUIT_REQUEST", "ATTACHMENT", "AVATAR"].includes(name)
);
