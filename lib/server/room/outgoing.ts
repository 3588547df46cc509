/**
 * What the room decides, as data: who is in, and what to send to whom. The
 * room returns these; the outbox sends them.
 *
 * @module
 */
import type { FrameInit } from "../../shared/wire/frame.ts";
import type { Code } from "../../shared/wire/protocol_error.ts";
import type { AvatarImage } from "../../shared/avatar.ts";
import type { HistoryEntry, HistoryRange } from "../history/history.ts";

/** Identifies a connection inside the room. */
export type ConnId = number;

/** Where a connection comes from, as the report shows it. */
export interface PeerAddress {
  hostname: string;
  port: number;
}

/** An active user. */
export interface Member extends PeerAddress {
  id: ConnId;
  username: string;
  /** When the join was accepted, in milliseconds since the Unix epoch. */
  joinedAt: number;
  /** The avatar sent with the join request, validated; absent if none was sent. */
  avatar?: AvatarImage;
  /** Its own attachments come back as an ECHO header, not in full. */
  echo?: boolean;
  /** Others' attachments come as they arrive, in STREAM frames (JOIN_OPTION.STREAM). */
  stream?: boolean;
}

/**
 * One thing to send, each a decision of the room:
 * - `frame`: one frame held in memory, to each of `to`;
 * - `live`: a history entry just stored, to each of `to` (an attachment's
 *   file streams after its header); `from` is the connection whose request
 *   stored it, told if the store loses it after all;
 * - `replay`: a joiner's history, the entries of a {@linkcode HistoryRange}
 *   taken at the join (read from the store page by page, streamed to `to` as
 *   the connection takes it; a later join on the same connection cancels it);
 * - `stream`: frames that go out one after another to `to`, each encoded only
 *   when the connection is ready for it (a joiner's avatars, which together
 *   could pass the limit of what may wait in its queue);
 * - `end`: the END of transfer `transfer` (an attachment forwarded as it
 *   arrived, now stored as `entry`) to its receivers `to`; a receiver that
 *   fell behind gets the rest of the file first.
 */
export type Outgoing =
  | { kind: "frame"; to: ConnId[]; frame: FrameInit }
  | { kind: "live"; to: ConnId[]; entry: HistoryEntry; from?: ConnId }
  | ({ kind: "replay"; to: ConnId } & HistoryRange)
  | { kind: "stream"; to: ConnId; frames: FrameInit[] }
  | { kind: "end"; transfer: number; to: ConnId[]; entry: HistoryEntry };

/** What a join request led to, and what to send because of it. */
export type JoinDecision =
  | {
    accepted: true;
    /** The new member. */
    member: Member;
    /** History entries sent to it. */
    historyCount: number;
    out: Outgoing[];
  }
  | {
    accepted: false;
    /** Why: a join reject's CODE, or ALREADY_JOINED (an ERROR). */
    code: Code;
    out: Outgoing[];
  };
