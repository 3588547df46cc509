/**
 * The room's history: what an entry holds, and where entries are kept.
 *
 * @module
 */
import { utf8Length } from "../../shared/wire/wire_bytes.ts";

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

/**
 * Most entries {@linkcode HistoryStore.page} returns at once, whatever it is
 * asked: a page is what a reader holds in memory (at 64 KiB a chat line,
 * 1024 entries are 64 MiB, so readers ask for far fewer).
 */
export const MAX_PAGE_ENTRIES = 1024;

/**
 * A run of entries by position: from `fromSeq` to `toSeq`, both included,
 * `count` of them (0 for none, with `fromSeq` past `toSeq`). A joiner's
 * history is one, taken when it joins, so what is stored later is not
 * replayed as well.
 */
export interface HistoryRange {
  fromSeq: number;
  toSeq: number;
  count: number;
}

/** Where the room keeps its history. `append` is synchronous and durable when it returns. */
export interface HistoryStore {
  /** Stores an entry and returns it numbered. Throws (a {@linkcode HistoryError}) if it could not be stored. */
  append(entry: NewEntry): HistoryEntry;
  /**
   * The last `limit` entries (all when `limit` is undefined), oldest first,
   * all in memory: for tests and start-up checks, never for a join (use
   * {@linkcode HistoryStore.tail} and {@linkcode HistoryStore.page}).
   */
  list(limit?: number): HistoryEntry[];
  /**
   * Every attachment record, oldest first, read one at a time: the start-up
   * check that their files exist, which must not hold a long history of
   * chat lines in memory to find them.
   */
  attachments(): Iterable<HistoryEntry>;
  /**
   * Up to `limit` entries whose seq is above `afterSeq`, oldest first; never
   * more than {@linkcode MAX_PAGE_ENTRIES}, and, given `maxBytes`, no more
   * than fit in it by {@linkcode entryTextBytes} (at least one). A store may
   * end a page early at a boundary of its own (SQLite's at blocks of seqs):
   * a page is empty only when no entry follows. An indexed read: a reader
   * pages through any history in constant memory.
   */
  page(afterSeq: number, limit: number, maxBytes?: number): HistoryEntry[];
  /**
   * Where the last `limit` entries (all when undefined) are, without reading
   * them; only entries already committed (a group under way is ended first).
   */
  tail(limit?: number): HistoryRange;
  /** True if `username` (exactly as stored) has an entry in `range`: an indexed look-up. */
  hasEntriesBy(username: string, range: HistoryRange): boolean;
  /** Number of entries stored. */
  count(): number;
  /**
   * True while entries `append` returned are not committed yet (a store
   * that commits chat lines in groups, such as `SqliteHistory` with
   * `groupCommits`): nobody may be sent them before their group ends.
   * Missing or false: every entry is stored when `append` returns.
   */
  readonly uncommitted?: boolean;
  /** Sets who is told each time a group of entries is committed, or lost. */
  onGroupEnd?(listener: (end: GroupEnd) => void): void;
  /** Ends the group under way now (see {@linkcode HistoryStore.uncommitted}), if any. */
  commitGroup?(): void;
}

/**
 * How a group of entries ended: committed, or lost (rolled back: entries
 * `fromSeq` … `toSeq` are not in the history, and their seqs will be used
 * again).
 */
export type GroupEnd =
  | { ok: true }
  | { ok: false; fromSeq: number; toSeq: number; error: Error };

/** The range of the last `limit` of `count` entries numbered 1 to `count`, in a store that never deletes. */
function tailOf(count: number, limit?: number): HistoryRange {
  const n = limit === undefined ? count : Math.max(0, Math.min(limit, count));
  return { fromSeq: count - n + 1, toSeq: count, count: n };
}

/**
 * The bytes of an entry's strings in UTF-8 (username, text, file name): what
 * a page's `maxBytes` counts.
 */
export function entryTextBytes(entry: HistoryEntry): number {
  return utf8Length(entry.username) + utf8Length(entry.text) +
    (entry.attachment ? utf8Length(entry.attachment.filename) : 0);
}

/** How many of `sizes`, from the first, fit in `maxBytes` together (at least one, if any). */
export function fitting(sizes: number[], maxBytes: number): number {
  let total = 0;
  for (let i = 0; i < sizes.length; i++) {
    total += sizes[i];
    if (total > maxBytes && i > 0) return i;
  }
  return sizes.length;
}

/** `limit` clamped to 0…{@linkcode MAX_PAGE_ENTRIES}, for a page read. */
export function pageLimit(limit: number): number {
  return Math.max(0, Math.min(Math.floor(limit), MAX_PAGE_ENTRIES));
}

/** A history kept in memory, lost when the process ends. */
export class MemoryHistory implements HistoryStore {
  /** Entry `seq` is at index `seq - 1`: nothing is ever removed. */
  #entries: HistoryEntry[] = [];
  /** The seqs of each username's entries, ascending. */
  #seqsBy = new Map<string, number[]>();

  /** Stores an entry in memory. */
  append(entry: NewEntry): HistoryEntry {
    const numbered = { ...entry, seq: this.#entries.length + 1 };
    this.#entries.push(numbered);
    const seqs = this.#seqsBy.get(entry.username);
    if (seqs) seqs.push(numbered.seq);
    else this.#seqsBy.set(entry.username, [numbered.seq]);
    return numbered;
  }

  /** Up to `limit` entries after `afterSeq`, oldest first. */
  page(afterSeq: number, limit: number, maxBytes = Infinity): HistoryEntry[] {
    const from = Math.max(0, Math.floor(afterSeq));
    const page = this.#entries.slice(from, from + pageLimit(limit));
    return page.slice(0, fitting(page.map(entryTextBytes), maxBytes));
  }

  /** Where the last `limit` entries are. */
  tail(limit?: number): HistoryRange {
    return tailOf(this.#entries.length, limit);
  }

  /** True if `username` has an entry in `range`. */
  hasEntriesBy(username: string, range: HistoryRange): boolean {
    const seqs = this.#seqsBy.get(username);
    if (!seqs || range.count === 0) return false;
    // The first of its seqs at or after fromSeq, by binary search.
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[mid] < range.fromSeq) lo = mid + 1;
      else hi = mid;
    }
    return lo < seqs.length && seqs[lo] <= range.toSeq;
  }

  /** The last `limit` entries, oldest first. */
  list(limit?: number): HistoryEntry[] {
    if (limit === undefined || limit >= this.#entries.length) {
      return [...this.#entries];
    }
    return this.#entries.slice(this.#entries.length - limit);
  }

  /** Every attachment record, oldest first. */
  *attachments(): Iterable<HistoryEntry> {
    for (const entry of this.#entries) if (entry.attachment) yield entry;
  }

  /** Number of entries stored. */
  count(): number {
    return this.#entries.length;
  }
}
