/**
 * The room's history: what an entry holds, and where entries are kept.
 *
 * @module
 */

/** What kind of event a history entry records. */
export type EntryKind = "chat" | "join" | "leave" | "attachment" | "notice";

/** An attachment as the server stored it. */
export interface StoredAttachment {
  /** The safe base name clients are told (e.g. `coolfile1.txt`). */
  filename: string;
  /** Name of the file inside the server's `downloads/` folder. */
  storedName: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 digest of the content. */
  sha256: Uint8Array;
}

/** One entry of the chatroom's history. */
export interface HistoryEntry {
  /** Position in the history, from 1, assigned by the store. */
  seq: number;
  kind: EntryKind;
  /** Milliseconds since the Unix epoch when the server received it. */
  timestamp: number;
  /** Author of a chat line or attachment; the user who joined or left. */
  username: string;
  /** The text: a chat line or an announcement. Empty for attachments. */
  text: string;
  /** The stored file, for `attachment` entries. */
  attachment?: StoredAttachment;
}

/** An entry before the store has numbered it. */
export type NewEntry = Omit<HistoryEntry, "seq">;

/**
 * A history store could not do what was asked: the file is not a history,
 * it is in use, the disk is full. The message is one sentence naming the
 * file and the reason, fit for a log line.
 */
export class HistoryError extends Error {
  /** Creates the error; `cause` keeps the underlying error for debugging. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HistoryError";
  }
}

/** Where the room keeps its history. `append` is synchronous and durable when it returns. */
export interface HistoryStore {
  /** Stores an entry and returns it numbered. Throws (a {@linkcode HistoryError}) if it could not be stored. */
  append(entry: NewEntry): HistoryEntry;
  /** The last `limit` entries (all when `limit` is undefined), oldest first. */
  list(limit?: number): HistoryEntry[];
  /** Number of entries stored. */
  count(): number;
}

/** A history kept in memory, lost when the process ends. */
export class MemoryHistory implements HistoryStore {
  #entries: HistoryEntry[] = [];

  /** Stores an entry in memory. */
  append(entry: NewEntry): HistoryEntry {
    const numbered = { ...entry, seq: this.#entries.length + 1 };
    this.#entries.push(numbered);
    return numbered;
  }

  /** The last `limit` entries, oldest first. */
  list(limit?: number): HistoryEntry[] {
    if (limit === undefined || limit >= this.#entries.length) {
      return [...this.#entries];
    }
    return this.#entries.slice(this.#entries.length - limit);
  }

  /** Number of entries stored. */
  count(): number {
    return this.#entries.length;
  }
}
