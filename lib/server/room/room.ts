/**
 * The chatroom's rules as a plain object: who is in, who may join, what is
 * stored, who is told what. It touches no sockets, files or timers; each
 * method takes an event and returns what to send to whom
 * ({@linkcode Outgoing}).
 *
 * @module
 */
import { CODE, type Code } from "../../shared/wire/protocol_error.ts";
import { FLAG } from "../../shared/wire/flags.ts";
import { utf8Length } from "../../shared/wire/wire_bytes.ts";
import { usernameKey, usernameProblem } from "../../shared/username.ts";
import { avatarFileName, type AvatarImage, avatarProblem, imageType } from "../../shared/avatar.ts";
import {
  type HistoryEntry,
  type HistoryStore,
  MemoryHistory,
  type NewEntry,
  type StoredAttachment,
} from "../history/history.ts";
import type { ConnId, JoinDecision, Member, Outgoing, PeerAddress } from "./outgoing.ts";
import { TEXT } from "./room_text.ts";
import { avatarFrame, echoFrame } from "./entry_frame.ts";
import { DepartedAvatars } from "./departed_avatars.ts";

/** Options for {@linkcode Room.join}. */
export interface JoinOptions {
  /** The avatar carried by the JOIN_REQUEST (its PAYLOAD and FILENAME), if any. */
  avatar?: AvatarImage;
  /**
   * The client asked (JOIN_OPTION.ECHO) to have its own attachments
   * confirmed with an ECHO header instead of sent back.
   * @default false
   */
  echo?: boolean;
  /**
   * The client asked (JOIN_OPTION.STREAM) to get others' attachments as
   * they arrive, as transfers of STREAM frames. @default false
   */
  stream?: boolean;
}

/** Options for {@linkcode Room}. */
export interface RoomOptions {
  /** Most active users at once. @default 3 */
  maxUsers?: number;
  /** Where history lives. @default a new {@linkcode MemoryHistory} */
  history?: HistoryStore;
  /** Most history entries sent to a joining user. @default unlimited */
  historyLimit?: number;
  /** Longest chat message, in UTF-8 bytes. @default 65536 */
  maxMessageBytes?: number;
  /** The clock, in milliseconds since the Unix epoch. @default Date.now */
  now?: () => number;
}

/** The state and rules of one chatroom. */
export class Room {
  #members = new Map<ConnId, Member>();
  /** The {@linkcode usernameKey} of every active user, so a join need not scan them all. */
  #usernameKeys = new Set<string>();
  /** Avatars of users who left; forgotten when someone joins under that name. */
  #departed = new DepartedAvatars();
  #maxUsers: number;
  #history: HistoryStore;
  #historyLimit?: number;
  #maxMessageBytes: number;
  #now: () => number;

  /** Creates an empty room. */
  constructor(options: RoomOptions = {}) {
    this.#maxUsers = options.maxUsers ?? 3;
    this.#history = options.history ?? new MemoryHistory();
    this.#historyLimit = options.historyLimit;
    this.#maxMessageBytes = options.maxMessageBytes ?? 64 * 1024;
    this.#now = options.now ?? Date.now;
  }

  /** Active users in the order they joined. */
  get members(): Member[] {
    return [...this.#members.values()];
  }

  /** Most active users at once. */
  get maxUsers(): number {
    return this.#maxUsers;
  }

  /** The history store. */
  get history(): HistoryStore {
    return this.#history;
  }

  /** The member on connection `id`, if that connection has joined. */
  member(id: ConnId): Member | undefined {
    return this.#members.get(id);
  }

  /** REPORT_REQUEST: the number of active users and, per line, name, IP and port. */
  report(id: ConnId): Outgoing[] {
    const lines = this.members.map((m) => `${m.username}\t${m.hostname}\t${m.port}\n`);
    return [{
      kind: "frame",
      to: [id],
      frame: {
        flags: FLAG.REPORT_RESPONSE,
        number: this.#members.size,
        timestamp: this.#now(),
        payload: lines.join(""),
      },
    }];
  }

  /**
   * JOIN_REQUEST: capacity first, then the username, exactly in the
   * assignment's order, then the avatar if one came with it. On success the
   * joining user gets a JOIN_ACCEPT whose NUMBER counts the history frames
   * that follow it, then one AVATAR frame per active user who has an avatar
   * (itself included) and one per user who left with an avatar and has
   * entries in that history, all as one stream, then the history (the
   * entries stored before this join, as a range read page by page when it is
   * sent: what is stored later reaches the joiner live, not twice); the
   * others get the newcomer's AVATAR frame; then everyone (the new user too)
   * gets the NEW_USER announcement.
   */
  join(id: ConnId, username: string, peer: PeerAddress, options: JoinOptions = {}): JoinDecision {
    const current = this.#members.get(id);
    if (current) {
      const code = CODE.ALREADY_JOINED;
      return {
        accepted: false,
        code,
        out: [error(id, code, TEXT.alreadyJoined(current.username))],
      };
    }
    const refusal = this.#joinRefusal(username, options.avatar);
    if (refusal) {
      const { code, text } = refusal;
      return {
        accepted: false,
        code,
        out: [{ kind: "frame", to: [id], frame: { flags: FLAG.JOIN_REJECT, code, payload: text } }],
      };
    }
    // Where the history is, not the history: it is read page by page as it is sent.
    const replay = this.#history.tail(this.#historyLimit);
    const announcement = this.#append({
      kind: "join",
      timestamp: this.#now(),
      username,
      text: TEXT.joined(username),
    });
    const others = this.#ids();
    const member: Member = { id, username, ...peer, joinedAt: announcement.timestamp };
    if (options.echo) member.echo = true;
    if (options.stream) member.stream = true;
    const avatar = options.avatar;
    if (avatar) {
      const name = avatarFileName(avatar.filename, imageType(avatar.bytes)!);
      member.avatar = { filename: name, bytes: avatar.bytes };
    }
    const key = usernameKey(username);
    this.#members.set(id, member);
    this.#usernameKeys.add(key);
    this.#departed.forget(key);
    const avatars = [
      ...this.members.filter((m) => m.avatar).map((m) => avatarFrame(m.username, m.avatar!)),
      ...this.#departed.in((name) => this.#history.hasEntriesBy(name, replay))
        .map((d) => avatarFrame(d.username, d.avatar)),
    ];
    const accept = {
      flags: FLAG.JOIN_ACCEPT,
      username,
      number: replay.count,
      timestamp: announcement.timestamp,
    };
    const out: Outgoing[] = [{ kind: "frame", to: [id], frame: accept }];
    if (avatars.length) out.push({ kind: "stream", to: id, frames: avatars });
    if (replay.count) out.push({ kind: "replay", to: id, ...replay });
    if (member.avatar && others.length) {
      out.push({ kind: "frame", to: others, frame: avatarFrame(username, member.avatar) });
    }
    out.push({ kind: "live", to: this.#ids(), entry: announcement });
    return { accepted: true, member, historyCount: replay.count, out };
  }

  /** Why a join as `username` (with `avatar`) is refused, if it is: in the assignment's order. */
  #joinRefusal(username: string, avatar?: AvatarImage): { code: Code; text: string } | null {
    if (this.#members.size >= this.#maxUsers) return { code: CODE.ROOM_FULL, text: TEXT.roomFull };
    const problem = usernameProblem(username);
    if (problem) return { code: CODE.INVALID_USERNAME, text: TEXT.invalidUsername(problem) };
    if (this.#usernameKeys.has(usernameKey(username))) {
      return { code: CODE.USERNAME_TAKEN, text: TEXT.usernameTaken };
    }
    const avatarWhy = avatar && avatarProblem(avatar.bytes);
    if (avatarWhy) return { code: CODE.INVALID_AVATAR, text: TEXT.invalidAvatar(avatarWhy) };
    return null;
  }

  /**
   * A chat line from connection `id`: stored, then sent to every active
   * user. One trailing `\n` or `\r\n` (the assignment's newline) is dropped
   * first, so chat payloads on the wire never end in one.
   */
  chat(id: ConnId, line: string): Outgoing[] {
    const text = line.replace(/\r?\n$/, "");
    const member = this.#members.get(id);
    if (!member) return [error(id, CODE.NOT_JOINED, TEXT.notJoined)];
    if (text.trim().length === 0) return [error(id, CODE.INVALID_TEXT, TEXT.emptyMessage)];
    const bytes = utf8Length(text);
    if (bytes > this.#maxMessageBytes) {
      return [
        error(id, CODE.MESSAGE_TOO_LARGE, TEXT.messageTooLong(bytes, this.#maxMessageBytes)),
      ];
    }
    const entry = this.#append({
      kind: "chat",
      timestamp: this.#now(),
      username: member.username,
      text,
    });
    return [{ kind: "live", to: this.#ids(), entry, from: id }];
  }

  /**
   * Returns an error to send if connection `id` may not upload now, or `null`
   * if it may. Checked when the attachment header arrives, before any byte
   * of the file is stored.
   */
  uploadRefusal(id: ConnId): Outgoing | null {
    return this.#members.has(id) ? null : error(id, CODE.NOT_JOINED, TEXT.notJoined);
  }

  /**
   * Who gets an upload from `id` as it arrives: every member that asked for
   * STREAM, except the uploader when it asked for an ECHO instead.
   */
  streamReceivers(id: ConnId): ConnId[] {
    return this.members.filter((m) => m.stream && !(m.id === id && m.echo)).map((m) => m.id);
  }

  /**
   * An attachment from `id`, already stored and hash-checked: recorded, then
   * sent to every member. A sender who asked for echoes gets an
   * {@linkcode echoFrame} instead (it has the bytes); the others come first.
   * The receivers of `transfer` (the upload forwarded as it arrived) get its
   * END instead of the whole frame, whether they are members still or not;
   * the other members (no STREAM, joined during the upload, or with too
   * many transfers open) get the classic frame.
   */
  attachment(
    id: ConnId,
    stored: StoredAttachment,
    transfer?: { id: number; to: ConnId[] },
  ): Outgoing[] {
    const member = this.#members.get(id);
    if (!member) return [error(id, CODE.NOT_JOINED, TEXT.notJoined)];
    const entry = this.#append({
      kind: "attachment",
      timestamp: this.#now(),
      username: member.username,
      text: "",
      attachment: stored,
    });
    const streamed = new Set(transfer?.to);
    const out: Outgoing[] = [];
    if (transfer) out.push({ kind: "end", transfer: transfer.id, to: transfer.to, entry });
    const classic = this.#ids().filter((other) =>
      !streamed.has(other) && !(member.echo && other === id)
    );
    if (classic.length || !transfer) out.push({ kind: "live", to: classic, entry });
    if (member.echo) out.push({ kind: "frame", to: [id], frame: echoFrame(entry) });
    return out;
  }

  /**
   * QUIT_REQUEST: the user leaves; everyone, the leaver included, gets the
   * QUIT_ACCEPT (the leaver's client takes it as the signal to close).
   */
  quit(id: ConnId): Outgoing[] {
    if (!this.#members.has(id)) return [error(id, CODE.NOT_JOINED, TEXT.notJoined)];
    const recipients = this.#ids();
    return [{ kind: "live", to: recipients, entry: this.#leave(id) }];
  }

  /** A connection closed without quitting: if it had joined, it leaves as if it quit. */
  disconnect(id: ConnId): Outgoing[] {
    if (!this.#members.has(id)) return [];
    const entry = this.#leave(id);
    return [{ kind: "live", to: this.#ids(), entry }];
  }

  /** A server notice (e.g. shutdown), stored and sent to every active user. */
  notice(text: string): Outgoing[] {
    const entry = this.#append({ kind: "notice", timestamp: this.#now(), username: "", text });
    return [{ kind: "live", to: this.#ids(), entry }];
  }

  /**
   * Records the leave, then frees the seat. The seat is freed even when the
   * history cannot record it (the store's error is rethrown): a user who
   * asked to leave, or whose connection is gone, must not hold it forever.
   */
  #leave(id: ConnId): HistoryEntry {
    const member = this.#members.get(id)!;
    try {
      return this.#append({
        kind: "leave",
        timestamp: this.#now(),
        username: member.username,
        text: TEXT.left(member.username),
      });
    } finally {
      const key = usernameKey(member.username);
      this.#members.delete(id);
      this.#usernameKeys.delete(key);
      if (member.avatar) {
        this.#departed.remember(key, { username: member.username, avatar: member.avatar });
      }
    }
  }

  #append(entry: NewEntry): HistoryEntry {
    return this.#history.append(entry);
  }

  #ids(): ConnId[] {
    return [...this.#members.keys()];
  }
}

/** An ERROR frame to connection `id`. */
function error(id: ConnId, code: number, text: string): Outgoing {
  return { kind: "frame", to: [id], frame: { flags: FLAG.ERROR, code, payload: text } };
}
