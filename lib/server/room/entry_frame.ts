/**
 * The frames the room's decisions become: a history entry (live or
 * replayed), the uploader's ECHO of its own attachment, and a user's avatar.
 *
 * @module
 */
import { FLAG } from "../../shared/wire/flags.ts";
import type { FrameInit } from "../../shared/wire/frame.ts";
import type { AvatarImage } from "../../shared/avatar.ts";
import { SERVER_NAME } from "../../shared/username.ts";
import type { HistoryEntry } from "../history/history.ts";

/** The flag of each kind of server announcement. */
const ANNOUNCEMENT_FLAG = {
  join: FLAG.NEW_USER,
  leave: FLAG.QUIT_ACCEPT,
  notice: FLAG.NOTICE,
} as const;

/**
 * The frame for a history entry, with the HISTORY flag when it is replayed
 * to a joiner. Attachments get a header only: the server streams their
 * payload from disk.
 */
export function entryFrame(entry: HistoryEntry, replay: boolean): FrameInit {
  const history = replay ? FLAG.HISTORY : 0;
  const base = { timestamp: entry.timestamp };
  switch (entry.kind) {
    case "chat":
      return { ...base, flags: history, sender: entry.username, payload: entry.text };
    case "join":
    case "leave":
    case "notice":
      return {
        ...base,
        flags: ANNOUNCEMENT_FLAG[entry.kind] | history,
        username: entry.username,
        sender: SERVER_NAME,
        payload: entry.text,
      };
    case "attachment": {
      const file = entry.attachment!;
      return {
        ...base,
        flags: FLAG.ATTACHMENT | history,
        sender: entry.username,
        filename: file.filename,
        sha256: file.sha256,
        payloadLength: file.size,
      };
    }
  }
}

/**
 * The live attachment frame as its uploader gets it: the same header as
 * everyone else's with the ECHO flag and no payload. The uploader's client
 * takes its own copy from the file it sent, so the server does not send
 * back the bytes it just received.
 */
export function echoFrame(entry: HistoryEntry): FrameInit {
  return { ...entryFrame(entry, false), flags: FLAG.ATTACHMENT | FLAG.ECHO, payloadLength: 0 };
}

/** The AVATAR frame that tells clients what `username` looks like. */
export function avatarFrame(username: string, avatar: AvatarImage): FrameInit {
  return { flags: FLAG.AVATAR, username, filename: avatar.filename, payload: avatar.bytes };
}

/**
 * The frame sent instead of an attachment whose file is gone: a server
 * notice at the attachment's place and time, so the history keeps its
 * order and its count.
 */
export function missingAttachmentFrame(entry: HistoryEntry, replay: boolean): FrameInit {
  const name = entry.attachment?.filename ?? "an attachment";
  return {
    flags: FLAG.NOTICE | (replay ? FLAG.HISTORY : 0),
    timestamp: entry.timestamp,
    sender: SERVER_NAME,
    payload: `${entry.username}'s attachment ${name} is no longer available on the server.`,
  };
}
