/**
 * The room as the GUI's pages see it: the chat lines, avatars and saved
 * files, built from the session's {@linkcode RoomEvent}s and kept so a page
 * that (re)connects is shown the same chat.
 *
 * @module
 */
import type { RoomEvent } from "../client/room_event.ts";
import { hasUnsafeChars, inertText } from "../shared/text.ts";
import { avatarProblem, IMAGE_MIME, imageType } from "../shared/avatar.ts";
import type { LostSession, PageEntry, ToPage } from "./page_protocol.ts";
import { describeAttachment, type ServedAvatar, type ServedFile } from "./page_media.ts";

/** Options for {@linkcode RoomView}. */
export interface RoomViewOptions {
  /** Sends a message to every open page. */
  broadcast: (message: ToPage) => void;
  /** Asks for a fresh member list (the view calls it when the room changed). */
  refreshMembers: () => void;
  /** Told when the room's copy of one of our own live uploads arrived, by its FILENAME. */
  onOwnFile?: (filename: string) => void;
  /** Chat lines kept for pages that (re)connect. @default 2000 */
  maxEntries?: number;
  /**
   * Most characters of text those lines may hold together; the oldest go
   * first (the newest is always kept, cut to {@linkcode MAX_ENTRY_CHARS}).
   * @default 8388608 ({@linkcode DEFAULT_MAX_ENTRY_CHARS})
   */
  maxEntryChars?: number;
  /**
   * Most bytes of avatars kept; past it the oldest received is forgotten
   * (its user is shown without one). @default 33554432 ({@linkcode DEFAULT_MAX_AVATAR_BYTES})
   */
  maxAvatarBytes?: number;
  /**
   * Most received files the pages may open (the oldest's link stops
   * working first). @default 10000 ({@linkcode DEFAULT_MAX_SERVED_FILES})
   */
  maxServedFiles?: number;
}

/** The default of {@linkcode RoomViewOptions.maxServedFiles}. */
export const DEFAULT_MAX_SERVED_FILES = 10_000;

/** The default of {@linkcode RoomViewOptions.maxEntryChars}: 8 Mi characters. */
export const DEFAULT_MAX_ENTRY_CHARS = 8 * 1024 * 1024;

/** The default of {@linkcode RoomViewOptions.maxAvatarBytes}: 32 MiB, 128 of the largest avatars. */
export const DEFAULT_MAX_AVATAR_BYTES = 32 * 1024 * 1024;

/**
 * Longest text of one line shown, in characters: four times the server's
 * longest chat message. A server may send more (the session takes pushed
 * frames up to 16 MiB); the rest is left out, and the line says how much.
 */
export const MAX_ENTRY_CHARS = 256 * 1024;

/** What the pages show of the room, and the files and avatars they may load. */
export class RoomView {
  #options: RoomViewOptions;
  #username: string | null = null;
  #lost: LostSession | null = null;
  #entries: PageEntry[] = [];
  /** Characters of text in `#entries`. */
  #entryChars = 0;
  #historyEnded = false;
  #avatars = new Map<string, ServedAvatar>();
  /** Bytes of the avatars in `#avatars`. */
  #avatarBytes = 0;
  #avatarVersion = 0;
  #freshAvatar: string | null = null;
  #files = new Map<string, ServedFile>();
  #nextFile = 1;

  /** Creates an empty view. */
  constructor(options: RoomViewOptions) {
    this.#options = options;
  }

  /** The first message a page gets: everything it needs to show the room as it is. */
  hello(server: string): ToPage {
    return {
      t: "hello",
      server,
      username: this.#username,
      entries: this.#entries,
      historyEnded: this.#historyEnded,
      avatars: [...this.#avatars.keys()].map((key) => ({ key, url: this.#avatarUrl(key) })),
      lost: this.#lost,
    };
  }

  /** Forgets a lost session's conversation (its page went back to the join screen). */
  dismiss(): void {
    if (this.#username !== null || this.#lost === null) return;
    this.#lost = null;
    this.#clearEntries();
    this.#clearAvatars();
  }

  /** The file the session saved under `id`, if any. */
  file(id: string): ServedFile | undefined {
    return this.#files.get(id);
  }

  /** The avatar of the user whose key is `key`, if one was received. */
  avatar(key: string): ServedAvatar | undefined {
    return this.#avatars.get(key);
  }

  /** Applies a session event and tells the pages what changed. */
  apply(event: RoomEvent): void {
    switch (event.type) {
      case "joined":
        this.#username = event.username;
        this.#lost = null;
        this.#clearEntries();
        this.#historyEnded = false;
        this.#clearAvatars();
        return this.#options.broadcast({ t: "joined", username: event.username });
      case "history-end":
        this.#historyEnded = true;
        this.#options.broadcast({ t: "history-end" });
        return this.#options.refreshMembers();
      case "chat": {
        const { timestamp: ts, sender, text, history } = event;
        return this.#add({ kind: "chat", ts, sender, text, history });
      }
      case "announcement":
        return this.#announce(event);
      case "attachment":
        return this.#attachment(event);
      case "avatar":
        return this.#setAvatar(event);
      case "discarded":
        // One line, like the terminal's: nothing of the file was kept, and why.
        return this.#add({
          kind: "error",
          ts: event.timestamp,
          sender: event.sender,
          text: discardedLine(event),
          history: false,
        });
      case "error":
        return this.#add({
          kind: "error",
          ts: Date.now(),
          sender: "",
          text: event.text,
          history: false,
        });
      case "left":
        // Avatars are only known while in the room: kept, they could show a departed
        // user's image beside a namesake who joins meanwhile.
        this.#username = null;
        this.#lost = null;
        this.#clearAvatars();
        return this.#options.broadcast({ t: "left" });
      case "disconnected":
        // The conversation (and its avatars) is kept for the page, with why it ended.
        this.#lost = { username: this.#username ?? "", reason: event.reason };
        this.#username = null;
        return this.#options.broadcast({ t: "disconnected", reason: event.reason });
    }
  }

  #add(added: PageEntry): void {
    const cut = added.text.length > MAX_ENTRY_CHARS ? cutEntry(added) : added;
    // A sender's name as the terminal shows it (the server checks names; a hostile one may not).
    const entry = hasUnsafeChars(cut.sender) ? { ...cut, sender: inertText(cut.sender) } : cut;
    this.#entries.push(entry);
    this.#entryChars += entryChars(entry);
    const max = this.#options.maxEntries ?? 2000;
    const maxChars = this.#options.maxEntryChars ?? DEFAULT_MAX_ENTRY_CHARS;
    let drop = 0;
    let chars = this.#entryChars;
    const entries = this.#entries;
    while (entries.length - drop > 1 && (entries.length - drop > max || chars > maxChars)) {
      chars -= entryChars(entries[drop]);
      drop++;
    }
    if (drop > 0) entries.splice(0, drop);
    this.#entryChars = chars;
    this.#options.broadcast({ t: "entry", entry });
  }

  #clearEntries(): void {
    this.#entries = [];
    this.#entryChars = 0;
  }

  #clearAvatars(): void {
    this.#avatars.clear();
    this.#avatarBytes = 0;
  }

  #deleteAvatar(key: string): boolean {
    const old = this.#avatars.get(key);
    if (!old) return false;
    this.#avatarBytes -= old.bytes.length;
    return this.#avatars.delete(key);
  }

  #announce(event: Extract<RoomEvent, { type: "announcement" }>): void {
    const key = avatarKey(event.username);
    if (!event.history && event.kind === "join" && event.username !== this.#username) {
      // The server sends a newcomer's avatar right before NEW_USER; none means the
      // newcomer has none, even if an earlier user of that name had one.
      if (this.#freshAvatar !== key && this.#deleteAvatar(key)) {
        this.#options.broadcast({ t: "avatar", key, url: null });
      }
    }
    this.#freshAvatar = null;
    this.#add({
      kind: event.kind,
      ts: event.timestamp,
      sender: event.username,
      text: event.text,
      history: event.history,
    });
    if (!event.history && event.kind !== "notice") this.#options.refreshMembers();
  }

  #attachment(event: Extract<RoomEvent, { type: "attachment" }>): void {
    const file = describeAttachment(event, (served) => {
      const id = String(this.#nextFile++);
      this.#files.set(id, served);
      // A page may still show a line this view no longer keeps: its link keeps working, up to a
      // bound (a server that sends files without end).
      const max = this.#options.maxServedFiles ?? DEFAULT_MAX_SERVED_FILES;
      if (this.#files.size > max) this.#files.delete(this.#files.keys().next().value!);
      return `/file/${id}`;
    });
    const { timestamp: ts, sender, history } = event;
    this.#add({ kind: "file", ts, sender, text: "", history, file });
    if (!history && sender === this.#username) this.#options.onOwnFile?.(event.filename);
  }

  #setAvatar(event: Extract<RoomEvent, { type: "avatar" }>): void {
    const type = imageType(event.bytes);
    if (!type || avatarProblem(event.bytes)) return; // the server validates; never serve anything else
    const key = avatarKey(event.username);
    this.#deleteAvatar(key);
    this.#avatars.set(key, {
      bytes: event.bytes,
      mime: IMAGE_MIME[type],
      version: ++this.#avatarVersion,
    });
    this.#avatarBytes += event.bytes.length;
    this.#freshAvatar = key;
    this.#options.broadcast({ t: "avatar", key, url: this.#avatarUrl(key) });
    // Past the budget the oldest go (a server that sends avatars for everyone ever seen).
    const max = this.#options.maxAvatarBytes ?? DEFAULT_MAX_AVATAR_BYTES;
    for (const oldest of this.#avatars.keys()) {
      if (this.#avatarBytes <= max || oldest === key) break;
      this.#deleteAvatar(oldest);
      this.#options.broadcast({ t: "avatar", key: oldest, url: null });
    }
  }

  #avatarUrl(key: string): string {
    return `/avatar/${encodeURIComponent(key)}?v=${this.#avatars.get(key)!.version}`;
  }
}

/**
 * The key the page files a user's avatar under: the same as `userKey` in
 * page/avatars.js (NFKC, lower case), since the page looks avatars up by name,
 * of the name as the page is given it (escaped, see `#add`).
 * Not the room's `usernameKey`, whose look-alike table the page lacks.
 */
function avatarKey(name: string): string {
  return inertText(name).normalize("NFKC").toLowerCase();
}

/**
 * The chat screen's line for an attachment the server gave up while
 * forwarding it, e.g. `Fire's attachment big.bin was discarded: Fire's upload of big.bin broke off after 12.0 MiB of 100 MiB.`
 */
function discardedLine(event: Extract<RoomEvent, { type: "discarded" }>): string {
  const reason = event.reason.trim();
  const what = `${event.sender}'s attachment ${event.filename} was discarded`;
  return reason ? `${what}: ${reason}` : `${what}.`;
}

/** The characters a line holds in memory: its text and its sender's name. */
function entryChars(entry: PageEntry): number {
  return entry.text.length + entry.sender.length + (entry.file?.text?.length ?? 0);
}

/** `entry` with its text cut to {@linkcode MAX_ENTRY_CHARS}, saying how much was left out. */
function cutEntry(entry: PageEntry): PageEntry {
  const left = entry.text.length - MAX_ENTRY_CHARS;
  return {
    ...entry,
    text: `${entry.text.slice(0, MAX_ENTRY_CHARS)}… (${left} more characters not shown)`,
  };
}
