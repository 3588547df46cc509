/**
 * The chatroom's rules as a plain object: who is in, who may join, what is
 * stored, who is told what. It touches no sockets, files or timers; each
 * method takes an event and returns what to send to whom.
 *
 * @module
 */
import { CODE } from "../../shared/wire/protocol_error.ts";
import { FLAG } from "../../shared/wire/flags.ts";
import { type FrameInit } from "../../shared/wire/frame.ts";
import { utf8Length } from "../../shared/wire/wire_bytes.ts";
import type { HistoryEntry, HistoryStore, NewEntry, StoredAttachment } from "../history/history.ts";
import { MemoryHistory } from "../history/history.ts";
import { SERVER_NAME, usernameKey, usernameProblem } from "../../shared/username.ts";
import { avatarFileName, type AvatarImage, avatarProblem, imageType } from "../../shared/avatar.ts";

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
  /** Its own attachments come back as an {@linkcode echoFrame}, not in full. */
  echo?: boolean;
}

/** Options for {@linkcode Room.join}. */
export interface JoinOptions {
  /** The avatar carried by the JOIN_REQUEST (its PAYLOAD and FILENAME), if any. */
  avatar?: AvatarImage;
  /**
   * The client asked ({@linkcode JOIN_OPTION.ECHO}) to have its own
   * attachments confirmed with an {@linkcode echoFrame} instead of sent back.
   * @default false
   */
  echo?: boolean;
}

/**
 * Something to send: a frame held in memory, a history entry (live or
 * replayed), or frames that go out one after another as a stream, encoded
 * only as the connection takes them (the avatars a joiner is sent, which
 * together could pass the limit of what may wait in its queue).
 */
export type Outgoing =
  | { to: ConnId[]; frame: FrameInit }
  | { to: ConnId[]; entry: HistoryEntry; replay: boolean }
  | { to: ConnId[]; frames: FrameInit[] };

/** The texts the assignment prescribes, byte for byte. */
export const TEXT = {
  roomFull: "The server rejects the join request. The chatroom has reached its maximum capacity.",
  usernameTaken: "The server rejects the join request. Another user is using this username.",
  invalidUsername: (why: string) =>
    `The server rejects the join request. The username is not allowed: ${why}.`,
  invalidAvatar: (why: string) =>
    `The server rejects the join request. The avatar is not accepted: ${why}.`,
  joined: (name: string) => `${name} joined the chatroom.`,
  left: (name: string) => `${name} left the chatroom.`,
  notJoined: "You are not in the chatroom. Join it first.",
  alreadyJoined: (name: string) => `You are already in the chatroom as ${name}.`,
  emptyMessage: "Cannot post an empty message.",
  messageTooLong: (bytes: number, max: number) =>
    `Cannot post the message: it is ${bytes} bytes, over the limit of ${max} bytes.`,
} as const;

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

/**
 * How many avatars of users who have left the room keeps, so that their lines
 * in the history still show them to users who join later (the most recent
 * leavers), and how many bytes of them in all: every joiner may be sent them
 * all, so they must not cost a join much (a 256 KiB avatar each would be
 * 8 MiB).
 */
export const DEPARTED_AVATARS = { count: 32, bytes: 2 * 1024 * 1024 } as const;

/** The state and rules of one chatroom. */
export class Room {
  #members = new Map<ConnId, Member>();
  /** The {@linkcode usernameKey} of every active user, so a join need not scan them all. */
  #usernameKeys = new Set<string>();
  /**
   * Avatars of users who left, by {@linkcode usernameKey}, the longest gone
   * first; forgotten when someone joins under that name (with an avatar of
   * their own or none).
   */
  #departed = new Map<string, { username: string; avatar: AvatarImage }>();
  /** Bytes of the avatars in {@linkcode #departed}. */
  #departedBytes = 0;
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
   * entries in that history (see {@linkcode DEPARTED_AVATARS}), all as one
   * stream, then the history; the others get the newcomer's
   * AVATAR frame; then everyone (the new user too) gets the NEW_USER
   * announcement.
   */
  join(id: ConnId, username: string, peer: PeerAddress, options: JoinOptions = {}): Outgoing[] {
    const current = this.#members.get(id);
    if (current) {
      return [this.#error(id, CODE.ALREADY_JOINED, TEXT.alreadyJoined(current.username))];
    }
    if (this.#members.size >= this.#maxUsers) {
      return [this.#reject(id, CODE.ROOM_FULL, TEXT.roomFull)];
    }
    const problem = usernameProblem(username);
    if (problem) {
      return [this.#reject(id, CODE.INVALID_USERNAME, TEXT.invalidUsername(problem))];
    }
    const key = usernameKey(username);
    if (this.#usernameKeys.has(key)) {
      return [this.#reject(id, CODE.USERNAME_TAKEN, TEXT.usernameTaken)];
    }
    const avatar = options.avatar;
    const avatarWhy = avatar && avatarProblem(avatar.bytes);
    if (avatarWhy) {
      return [this.#reject(id, CODE.INVALID_AVATAR, TEXT.invalidAvatar(avatarWhy))];
    }
    const replay = this.#history.list(this.#historyLimit);
    const announcement = this.#append({
      kind: "join",
      timestamp: this.#now(),
      username,
      text: TEXT.joined(username),
    });
    const others = this.#ids();
    const member: Member = { id, username, ...peer, joinedAt: announcement.timestamp };
    if (options.echo) member.echo = true;
    if (avatar) {
      const name = avatarFileName(avatar.filename, imageType(avatar.bytes)!);
      member.avatar = { filename: name, bytes: avatar.bytes };
    }
    this.#members.set(id, member);
    this.#usernameKeys.add(key);
    this.#forgetDeparted(key);
    const avatars = [
      ...this.members.filter((m) => m.avatar).map((m) => avatarFrame(m.username, m.avatar!)),
      ...this.#departedIn(replay).map((d) => avatarFrame(d.username, d.avatar)),
    ];
    return [
      {
        to: [id],
        frame: {
          flags: FLAG.JOIN_ACCEPT,
          username,
          number: replay.length,
          timestamp: announcement.timestamp,
        },
      },
      ...(avatars.length ? [{ to: [id], frames: avatars }] : []),
      ...replay.map((entry) => ({ to: [id], entry, replay: true })),
      ...(member.avatar && others.length
        ? [{ to: others, frame: avatarFrame(username, member.avatar) }]
        : []),
      { to: this.#ids(), entry: announcement, replay: false },
    ];
  }

  /** A chat line from connection `id`: stored, then sent to every active user. */
  chat(id: ConnId, text: string): Outgoing[] {
    const member = this.#members.get(id);
    if (!member) return [this.#error(id, CODE.NOT_JOINED, TEXT.notJoined)];
    if (text.trim().length === 0) {
      return [this.#error(id, CODE.INVALID_TEXT, TEXT.emptyMessage)];
    }
    const bytes = utf8Length(text);
    if (bytes > this.#maxMessageBytes) {
      return [
        this.#error(
          id,
          CODE.MESSAGE_TOO_LARGE,
          TEXT.messageTooLong(bytes, this.#maxMessageBytes),
        ),
      ];
    }
    const entry = this.#append({
      kind: "chat",
      timestamp: this.#now(),
      username: member.username,
      text,
    });
    return [{ to: this.#ids(), entry, replay: false }];
  }

  /**
   * Returns an error to send if connection `id` may not upload now, or `null`
   * if it may. Checked when the attachment header arrives, before any byte
   * of the file is stored.
   */
  uploadRefusal(id: ConnId): Outgoing | null {
    return this.#members.has(id) ? null : this.#error(id, CODE.NOT_JOINED, TEXT.notJoined);
  }

  /**
   * An attachment from `id`, already stored and hash-checked: recorded, then
   * sent to every member. A sender who asked for echoes gets an
   * {@linkcode echoFrame} instead (it has the bytes); the others come first.
   */
  attachment(id: ConnId, stored: StoredAttachment): Outgoing[] {
    const member = this.#members.get(id);
    if (!member) return [this.#error(id, CODE.NOT_JOINED, TEXT.notJoined)];
    const entry = this.#append({
      kind: "attachment",
      timestamp: this.#now(),
      username: member.username,
      text: "",
      attachment: stored,
    });
    if (!member.echo) return [{ to: this.#ids(), entry, replay: false }];
    return [
      { to: this.#ids().filter((other) => other !== id), entry, replay: false },
      { to: [id], frame: echoFrame(entry) },
    ];
  }

  /**
   * QUIT_REQUEST: the user leaves; everyone, the leaver included, gets the
   * QUIT_ACCEPT (the leaver's client takes it as the signal to close).
   */
  quit(id: ConnId): Outgoing[] {
    if (!this.#members.has(id)) return [this.#error(id, CODE.NOT_JOINED, TEXT.notJoined)];
    const recipients = this.#ids();
    return [{ to: recipients, entry: this.#leave(id), replay: false }];
  }

  /** A connection closed without quitting: if it had joined, it leaves as if it quit. */
  disconnect(id: ConnId): Outgoing[] {
    if (!this.#members.has(id)) return [];
    const entry = this.#leave(id);
    return [{ to: this.#ids(), entry, replay: false }];
  }

  /** A server notice (e.g. shutdown), stored and sent to every active user. */
  notice(text: string): Outgoing[] {
    const entry = this.#append({ kind: "notice", timestamp: this.#now(), username: "", text });
    return [{ to: this.#ids(), entry, replay: false }];
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
        this.#departed.set(key, { username: member.username, avatar: member.avatar });
        this.#departedBytes += member.avatar.bytes.length;
        while (
          this.#departed.size > DEPARTED_AVATARS.count ||
          this.#departedBytes > DEPARTED_AVATARS.bytes
        ) {
          this.#forgetDeparted(this.#departed.keys().next().value!);
        }
      }
    }
  }

  #forgetDeparted(key: string): void {
    const departed = this.#departed.get(key);
    if (!departed) return;
    this.#departed.delete(key);
    this.#departedBytes -= departed.avatar.bytes.length;
  }

  /** The kept avatars of users who left and have entries among `entries`, longest gone first. */
  #departedIn(entries: HistoryEntry[]): { username: string; avatar: AvatarImage }[] {
    if (this.#departed.size === 0) return [];
    // History entries carry the name as it was joined with, so a plain string
    // lookup finds them; no normalizing a 100,000-entry history.
    const departed = [...this.#departed.values()];
    const wanted = new Set(departed.map((d) => d.username));
    const found = new Set<string>();
    for (const entry of entries) {
      if (wanted.has(entry.username)) {
        found.add(entry.username);
        if (found.size === wanted.size) break;
      }
    }
    return departed.filter((d) => found.has(d.username));
  }

  #append(entry: NewEntry): HistoryEntry {
    return this.#history.append(entry);
  }

  #ids(): ConnId[] {
    return [...this.#members.keys()];
  }

  #reject(id: ConnId, code: number, text: string): Outgoing {
    return { to: [id], frame: { flags: FLAG.JOIN_REJECT, code, payload: text } };
  }

  #error(id: ConnId, code: number, text: string): Outgoing {
    return { to: [id], frame: { flags: FLAG.ERROR, code, payload: text } };
  }
}

/** The flag of each kind of server announcement. */
const ANNOUNCEMENT_FLAG = {
  join: FLAG.NEW_USER,
  leave: FLAG.QUIT_ACCEPT,
  notice: FLAG.NOTICE,
} as const;

/** The AVATAR frame that tells clients what `username` looks like. */
function avatarFrame(username: string, avatar: AvatarImage): FrameInit {
  return { flags: FLAG.AVATAR, username, filename: avatar.filename, payload: avatar.bytes };
}

/**
 * The frame for a history entry. Attachments get a header only: the server
 * streams their payload from disk.
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
