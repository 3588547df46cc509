/**
 * What happened in the room, as a session reports it: {@linkcode RoomEvent},
 * the events made from the frames the server pushes, and the report's users.
 *
 * @module
 */
import { CODE, ProtocolError } from "../shared/wire/protocol_error.ts";
import { FLAG, hasFlag } from "../shared/wire/flags.ts";
import { type FrameHeader } from "../shared/wire/frame.ts";
import type { ReceivedFile } from "../shared/files/receive_file.ts";
import { decodeText } from "../shared/text.ts";

/** An active user as the report lists it. */
export interface ReportedUser {
  username: string;
  hostname: string;
  port: number;
}

/**
 * The users a REPORT_RESPONSE's payload lists, one `username TAB hostname
 * TAB port` line each. The texts are the server's: print them inert.
 */
export function reportedUsers(payload: Uint8Array): ReportedUser[] {
  return decodeText(payload).split("\n").filter(Boolean).map((line) => {
    const [username, hostname, port] = line.split("\t");
    return { username, hostname: hostname ?? "", port: Number(port) };
  });
}

/** Something that happened in the room, in the order the server sent it. */
export type RoomEvent =
  | { type: "joined"; username: string; historyCount: number }
  | { type: "history-end" }
  | { type: "chat"; timestamp: number; sender: string; text: string; history: boolean }
  | {
    type: "announcement";
    kind: "join" | "leave" | "notice";
    timestamp: number;
    username: string;
    text: string;
    history: boolean;
  }
  | {
    type: "attachment";
    timestamp: number;
    sender: string;
    filename: string;
    size: number;
    history: boolean;
    /** The saved file, or why it could not be saved. */
    file: ReceivedFile | { error: string };
  }
  | {
    /** An attachment forwarded as it arrived was given up: nothing of it is kept. */
    type: "discarded";
    /** When the server gave it up (when it was told, if the server did not say). */
    timestamp: number;
    sender: string;
    filename: string;
    /** The server's reason, e.g. `Fire's upload of big.bin broke off after 12.0 MiB of 100 MiB.` */
    reason: string;
  }
  | { type: "avatar"; username: string; filename: string; bytes: Uint8Array }
  | { type: "error"; code: number; text: string }
  | { type: "left" }
  | { type: "disconnected"; reason: string };

/**
 * The event for a frame the server pushed that answers no request: an
 * error, an avatar, an announcement or a chat message, live or replayed.
 * Throws a {@linkcode ProtocolError} for any other frame.
 */
export function frameEvent(header: FrameHeader, payload: Uint8Array): RoomEvent {
  const history = hasFlag(header, FLAG.HISTORY);
  const text = decodeText(payload);
  if (hasFlag(header, FLAG.ERROR)) {
    return { type: "error", code: header.code, text };
  } else if (hasFlag(header, FLAG.AVATAR)) {
    return {
      type: "avatar",
      username: header.username,
      filename: header.filename,
      bytes: payload,
    };
  } else if (header.flags & (FLAG.NEW_USER | FLAG.QUIT_ACCEPT | FLAG.NOTICE)) {
    const kind = hasFlag(header, FLAG.NEW_USER)
      ? "join"
      : hasFlag(header, FLAG.QUIT_ACCEPT)
      ? "leave"
      : "notice";
    return {
      type: "announcement",
      kind,
      timestamp: header.timestamp,
      username: header.username,
      text,
      history,
    };
  } else if ((header.flags & ~FLAG.HISTORY) === 0) {
    return { type: "chat", timestamp: header.timestamp, sender: header.sender, text, history };
  }
  throw new ProtocolError(
    CODE.BAD_FRAME,
    `Cannot handle a frame with flags 0x${header.flags.toString(16)} from the server`,
  );
}

/** The event for an attachment the server sent, once its payload is saved (or not). */
export function attachmentEvent(
  header: FrameHeader,
  file: ReceivedFile | { error: string },
  size?: number,
): RoomEvent {
  return {
    type: "attachment",
    timestamp: header.timestamp,
    sender: header.sender,
    filename: header.filename,
    // An ECHO of our own upload carries no payload: the size is our file's.
    size: size ?? ("size" in file ? file.size : header.payloadLength),
    history: hasFlag(header, FLAG.HISTORY),
    file,
  };
}
