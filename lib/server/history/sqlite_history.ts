/**
 * The room's history in an SQLite file, through Deno's built-in
 * `node:sqlite`: nothing to install, and it works inside `deno compile`.
 *
 * - Durable when {@linkcode SqliteHistory.append} returns (WAL journal, one
 *   committed transaction per entry), or, with `groupCommits`, a chat line
 *   when its group of one turn's lines ends (one transaction per group; see
 *   {@linkcode SqliteHistory.onGroupEnd}). A process killed at any instant
 *   (even `kill -9`) loses nothing that was committed; SQLite replays the
 *   WAL on the next open. With `sync: "full"` (`server --fsync`) each
 *   commit also waits for the disk, so a power loss loses nothing either.
 * - One server per file: the file is locked exclusively while open, so a
 *   second server on the same data folder refuses to start instead of
 *   interleaving two histories.
 * - Never guesses: a file that is not an SQLite database, is damaged, holds
 *   someone else's tables or a newer schema is refused with a
 *   {@linkcode HistoryError} naming the file. The server then exits with one
 *   line; it neither overwrites nor moves the file (it may be the only copy of
 *   the history, and only the operator can tell a damaged history from a
 *   wrong `--data-dir`).
 *
 * Permissions: read and write on the database file itself (Deno checks only
 * that path for SQLite, whose own `-wal` file beside it needs none), and
 * read on that `-wal` file, which the history flushes ahead of a
 * checkpoint (see {@linkcode CHECKPOINT_MIN_COMMITS}; not on Windows);
 * without it the checkpoint flushes it itself, on the event loop. It never
 * asks for a permission it lacks.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { decodeText } from "../../shared/text.ts";
import {
  type EntryKind,
  entryTextBytes,
  fitting,
  type GroupEnd,
  type HistoryEntry,
  HistoryError,
  type HistoryRange,
  type HistoryStore,
  MAX_PAGE_ENTRIES,
  type NewEntry,
  pageLimit,
} from "./history.ts";
import { errorText } from "../../shared/error_text.ts";
import { fromHex } from "../../shared/wire/wire_bytes.ts";
import { setImmediate } from "node:timers";

/** `CRHI` in ASCII: marks an SQLite file as a chatroom history. */
export const APPLICATION_ID = 0x43524849;

/** The schema version this code writes (SQLite's `user_version`). */
export const SCHEMA_VERSION = 1;

/**
 * When the history checkpoints its WAL into the file (SQLite's own rule,
 * every 1,000 WAL pages, is off): after {@linkcode CHECKPOINT_MIN_COMMITS}
 * commits once {@linkcode CHECKPOINT_INTERVAL_MS} have passed since the
 * last checkpoint, and after {@linkcode CHECKPOINT_MAX_COMMITS} whatever
 * the time. A commit adds about two pages to the WAL (the row's and the
 * username index's). A checkpoint runs on the event loop and starts with
 * an fsync of the WAL, which costs about what the commits since the last
 * one wrote: SQLite's rule made one every half second at 1,000 chat lines
 * a second, whose fsyncs stalled every user 4–12 ms and set the fan-out's
 * p99 (10 ms; 5.3 ms with no checkpoint at all). Small ones, at most ten a
 * second, cost each line less; under a flood they come as often as
 * SQLite's. Once due, the WAL is first flushed to disk off the event loop
 * (`FsFile.syncData`, in one of Deno's blocking threads), so that the
 * checkpoint's own fsync finds little left to write: 0.7 ms instead of 1.4
 * for 100 commits here, 2.3 instead of 9.3 for 1,000. Only at
 * {@linkcode CHECKPOINT_MAX_COMMITS} does it run at once, flush or not.
 */
export const CHECKPOINT_MIN_COMMITS = 50;
/** See {@linkcode CHECKPOINT_MIN_COMMITS}. */
export const CHECKPOINT_MAX_COMMITS = 500;
/** See {@linkcode CHECKPOINT_MIN_COMMITS}. */
export const CHECKPOINT_INTERVAL_MS = 100;

/** The file name of the history inside the data folder. */
export const HISTORY_FILE = "chatroom.db";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS history (
  seq         INTEGER PRIMARY KEY,
  kind        TEXT    NOT NULL CHECK (kind IN ('chat', 'join', 'leave', 'attachment', 'notice')),
  timestamp   INTEGER NOT NULL,
  username    TEXT    NOT NULL,
  text        TEXT    NOT NULL,
  filename    TEXT,
  stored_name TEXT,
  size        INTEGER,
  sha256      BLOB,
  CHECK ((kind = 'attachment') = (stored_name IS NOT NULL))
) STRICT;`;

/**
 * Finds a username's entries in a range of seqs (an index on a rowid table
 * holds the rowid too): whether a user who left has lines in a joiner's
 * history, without reading that history. Created on open if missing, so a
 * file written before it gets it too; older servers ignore it.
 */
const INDEXES = `CREATE INDEX IF NOT EXISTS history_by_username ON history (username);`;

/**
 * The columns read back. A string holding a NUL comes back as a BLOB and is
 * decoded here: node:sqlite reads TEXT as a C string and would cut it at
 * its first NUL (binding is byte-exact; reading is not). Every other string
 * comes back as TEXT: a BLOB is a fresh ArrayBuffer per value, which made
 * reading a 100,000-line history several times slower.
 */
const COLUMNS = [
  "seq",
  "kind",
  "timestamp",
  exact("username"),
  exact("text"),
  exact("filename"),
  exact("stored_name"),
  "size",
  "sha256",
].join(", ");

/**
 * The columns a page is read with first: no NUL check (that CASE, on three
 * columns, was a third of the read), and one column for what only some
 * entries have: NULL for a chat line (most of a history), the kind of an
 * announcement, and an attachment's four columns as a JSON array (JSON
 * keeps a NUL as `\u0000`). Every value fewer is a few per cent less time.
 * A string cut at a NUL is found afterwards, by its bytes: see
 * {@linkcode SqliteHistory.page}.
 */
const PAGE_COLUMNS = [
  "seq",
  "timestamp",
  "username",
  "text",
  `CASE kind WHEN 'chat' THEN NULL
     WHEN 'attachment' THEN json_array(filename, stored_name, size, hex(sha256))
     ELSE kind END`,
].join(", ");

/**
 * Pages are cut at multiples of this many seqs, the most a page holds:
 * pages of a long history are then the same ranges for every join, whose
 * sums {@linkcode SqliteHistory} keeps.
 */
export const BLOCK_SEQS = MAX_PAGE_ENTRIES;

/** The last seq of the block `after + 1` is in. */
function blockEnd(after: number): number {
  return (Math.floor(after / BLOCK_SEQS) + 1) * BLOCK_SEQS;
}

/** How many entries there are, and their lowest and highest seq (0 and 0 when none). */
interface Span {
  n: number;
  lo: number;
  hi: number;
}

/** What {@linkcode SqliteHistory} sums for a range of seqs. */
interface RangeBytes {
  /** Entries in the range. */
  n: number;
  /** Their bytes, by {@linkcode entryTextBytes}. */
  bytes: number;
}

/** An entry's bytes as {@linkcode entryTextBytes} counts them, in SQL. */
const TEXT_BYTES =
  "octet_length(username) + octet_length(text) + ifnull(octet_length(filename), 0)";

/** Reads TEXT column `name` as TEXT, or as a BLOB if it holds a NUL. */
function exact(name: string): string {
  return `CASE WHEN instr(CAST(${name} AS BLOB), x'00') THEN CAST(${name} AS BLOB) ELSE ${name} END AS ${name}`;
}

/** Options for {@linkcode SqliteHistory.open}. */
export interface SqliteHistoryOptions {
  /**
   * Largest size of the database, in pages (4 KiB each). Past it, appends
   * fail as on a full disk; tests use it to simulate one. @default unlimited
   */
  maxPageCount?: number;
  /**
   * Wait for the disk (fsync) on every append (`"full"`), or only hand each
   * committed entry to the operating system (`"normal"`). Both survive the
   * server being killed at any instant, `kill -9` included; only `"full"`
   * also survives the machine losing power. `"full"` costs an fsync per
   * message (about 0.2 ms here), which shows in the chat latency under load.
   * @default "normal"
   */
  sync?: "normal" | "full";
  /**
   * Commit the chat lines appended in one turn of the event loop together,
   * in one transaction, at the end of the turn (`setImmediate`) or before
   * any other kind of entry, whichever comes first: under load, one commit
   * (a WAL write, and at `"full"` an fsync) per turn instead of one per
   * line. Until then {@linkcode SqliteHistory.uncommitted} is true, and
   * whoever sends those lines must wait for the group's end
   * ({@linkcode SqliteHistory.onGroupEnd}), which says if it was lost.
   * @default false
   */
  groupCommits?: boolean;
  /**
   * Milliseconds after a checkpoint before the next may start (see
   * {@linkcode CHECKPOINT_MIN_COMMITS}); tests set 0.
   * @default 100 ({@linkcode CHECKPOINT_INTERVAL_MS})
   */
  checkpointIntervalMs?: number;
}

/** A row in the order of {@linkcode COLUMNS}. */
type Row = SQLInputValue[];

/** A {@linkcode HistoryStore} in an SQLite file. Close it when done. */
export class SqliteHistory implements HistoryStore {
  /** The database file. */
  readonly path: string;
  #db: DatabaseSync;
  #insert: StatementSync;
  #all: StatementSync;
  #attachments: StatementSync;
  #last: StatementSync;
  #page: StatementSync;
  #pageExact: StatementSync;
  #rangeBytes: StatementSync;
  #nextSeq: StatementSync;
  #pageSizes: StatementSync;
  /**
   * The entry count and bytes of each whole block of seqs read so far whose
   * last seq is stored already: no entry can join it (seqs only grow, and
   * nothing is removed), so every later join reads it from here instead of
   * summing it again (a sixth of a join's time). About 100 bytes per 1,024
   * entries.
   */
  #blocks = new Map<number, RangeBytes>();
  #lastSpan: StatementSync;
  #byUser: StatementSync;
  /**
   * How many entries there are and the lowest and highest seq: counted once
   * (a full scan: SQLite keeps no row count), then kept by `append`, the
   * only writer. A join asks for it, and on a long history the scan took
   * milliseconds each time, with every other user waiting.
   */
  #span: Span;
  /** Commits since the last checkpoint, and when that was (see {@linkcode CHECKPOINT_MIN_COMMITS}). */
  #commits = 0;
  #checkpointedAt = performance.now();
  #checkpoint: StatementSync;
  /**
   * The WAL, opened to flush it to disk ahead of a checkpoint (see
   * {@linkcode CHECKPOINT_MIN_COMMITS}); null until first needed, false
   * where it cannot be opened (no permission for it): checkpoints then
   * flush it themselves.
   */
  #wal: Deno.FsFile | null | false = null;
  /** The flush of the WAL under way, if any; the checkpoint runs when it ends. */
  #flushing: Promise<void> | null = null;
  /** A checkpoint waits for the group of chat lines under way to commit. */
  #checkpointWaits = false;
  #syncFull: boolean;
  #checkpointIntervalMs: number;
  #checkpoints = 0;
  #closed = false;
  #groupCommits: boolean;
  /** The chat lines appended since the open transaction began, and the span before them. */
  #group: { spanBefore: Span } | null = null;
  #groupEnd?: (end: GroupEnd) => void;

  private constructor(path: string, db: DatabaseSync, options: SqliteHistoryOptions) {
    this.path = path;
    this.#db = db;
    this.#groupCommits = options.groupCommits ?? false;
    this.#syncFull = options.sync === "full";
    this.#checkpointIntervalMs = options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS;
    this.#insert = db.prepare(
      `INSERT INTO history (kind, timestamp, username, text, filename, stored_name, size, sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#all = db.prepare(`SELECT ${COLUMNS} FROM history ORDER BY seq`);
    // Rows as arrays, not objects: a third less time to read a long history.
    returnArrays(this.#all);
    this.#attachments = db.prepare(
      `SELECT ${COLUMNS} FROM history WHERE kind = 'attachment' ORDER BY seq`,
    );
    returnArrays(this.#attachments);
    this.#last = db.prepare(
      `SELECT ${COLUMNS} FROM (SELECT * FROM history ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
    );
    returnArrays(this.#last);
    // A page is a range of seqs (at most one block, see BLOCK_SEQS), cut to a count.
    const range = "FROM history WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?";
    this.#page = db.prepare(`SELECT ${PAGE_COLUMNS} ${range}`);
    returnArrays(this.#page);
    this.#pageExact = db.prepare(`SELECT ${COLUMNS} ${range}`);
    returnArrays(this.#pageExact);
    // What a range's strings add up to, in one row: the bound, and the check for NULs.
    this.#rangeBytes = db.prepare(
      `SELECT count(*) AS n, ifnull(sum(${TEXT_BYTES}), 0) AS bytes
       FROM history WHERE seq > ? AND seq <= ?`,
    );
    this.#nextSeq = db.prepare("SELECT min(seq) AS seq FROM history WHERE seq > ?");
    // The sizes from the records' headers (octet_length reads no text): what fits in a page.
    this.#pageSizes = db.prepare(`SELECT ${TEXT_BYTES} ${range}`);
    returnArrays(this.#pageSizes);
    const span = "count(*) AS n, min(seq) AS lo, max(seq) AS hi";
    this.#checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
    this.#lastSpan = db.prepare(
      `SELECT ${span} FROM (SELECT seq FROM history ORDER BY seq DESC LIMIT ?)`,
    );
    this.#byUser = db.prepare(
      "SELECT 1 AS found FROM history WHERE username = ? AND seq BETWEEN ? AND ? LIMIT 1",
    );
    // Counted once, at start-up, rather than by every join with users waiting.
    const row = db.prepare(`SELECT ${span} FROM history`).get() as {
      n: number;
      lo: number | null;
      hi: number | null;
    };
    this.#span = { n: Number(row.n), lo: Number(row.lo ?? 0), hi: Number(row.hi ?? 0) };
  }

  /**
   * Opens (or creates) the history at `path`, checks it and locks it.
   *
   * @throws {HistoryError} if the file cannot be opened or written, is not a
   *   chatroom history, is damaged, or is in use by another server.
   * @throws {Deno.errors.NotCapable} if Deno does not permit reading and
   *   writing `path`.
   */
  static open(path: string, options: SqliteHistoryOptions = {}): SqliteHistory {
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { timeout: 0 });
    } catch (error) {
      throw wrap(error, `Cannot open the history ${path}`);
    }
    try {
      // Exclusive before WAL: no shared-memory file, and a second opener fails.
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      // Look before writing anything: a foreign file must stay byte for byte as it was.
      checkIntegrity(db, path);
      const fresh = identify(db, path);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec(`PRAGMA synchronous = ${options.sync === "full" ? "FULL" : "NORMAL"}`);
      db.exec("PRAGMA wal_autocheckpoint = 0");
      if (fresh) create(db);
      db.exec(INDEXES);
      // The schema's CHECKs stay for anyone else who writes the file; this
      // connection's appends check the same rules first (checkNewEntry).
      // SQLite runs `kind IN (…)` as a little table built per row: 5 of the
      // 8 µs an insert took here.
      db.exec("PRAGMA ignore_check_constraints = ON");
      if (options.maxPageCount) db.exec(`PRAGMA max_page_count = ${options.maxPageCount}`);
      return new SqliteHistory(path, db, options);
    } catch (error) {
      db.close();
      if (error instanceof HistoryError) throw error;
      throw wrap(error, `Cannot use the history ${path}`);
    }
  }

  /**
   * Stores an entry; it is on disk when this returns, or, for a chat line
   * with `groupCommits`, when its group ends (see {@linkcode onGroupEnd}).
   * Any other entry commits the group under way first.
   */
  append(entry: NewEntry): HistoryEntry {
    checkNewEntry(entry, this.path);
    const grouped = this.#groupCommits && entry.kind === "chat";
    if (!grouped) this.commitGroup();
    const file = entry.attachment;
    try {
      if (grouped && !this.#group) {
        this.#db.exec("BEGIN");
        this.#group = { spanBefore: { ...this.#span } };
        setImmediate(() => this.commitGroup());
      }
      const result = this.#insert.run(
        entry.kind,
        entry.timestamp,
        entry.username,
        entry.text,
        file?.filename ?? null,
        file?.storedName ?? null,
        file?.size ?? null,
        file?.sha256 ?? null,
      );
      const seq = Number(result.lastInsertRowid);
      if (!grouped) this.#checkpointIfDue();
      const span = this.#span;
      span.n++;
      if (span.n === 1) span.lo = seq;
      span.hi = seq;
      return { ...entry, seq };
    } catch (error) {
      const failed = wrap(error, `Cannot store a ${entry.kind} entry in the history ${this.path}`);
      // A full disk or an I/O error can make SQLite roll the whole transaction back.
      if (this.#group && !this.#db.isTransaction) this.#lose(failed);
      throw failed;
    }
  }

  /**
   * True while chat lines appended with `groupCommits` are not committed
   * yet: they must not be sent to anyone before their group ends.
   */
  get uncommitted(): boolean {
    return this.#group !== null;
  }

  /** Sets who is told each time a group of chat lines is committed, or lost. */
  onGroupEnd(listener: (end: GroupEnd) => void): void {
    this.#groupEnd = listener;
  }

  /**
   * Commits the group of chat lines under way, if any, and tells the
   * listener; a group that cannot be committed is rolled back and reported
   * lost (the entries are not in the history). Never throws.
   */
  commitGroup(): void {
    if (!this.#group || this.#closed) return;
    try {
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#lose(wrap(error, `Cannot store chat lines in the history ${this.path}`));
      return;
    }
    this.#group = null;
    this.#checkpointIfDue();
    this.#groupEnd?.({ ok: true });
  }

  /** The group under way is lost: rolled back (if SQLite did not), its seqs given back. */
  #lose(error: Error): void {
    const group = this.#group!;
    this.#group = null;
    if (this.#db.isTransaction) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // Rolled back all the same: SQLite ends a transaction it cannot finish.
      }
    }
    const fromSeq = group.spanBefore.hi + 1;
    const toSeq = this.#span.hi;
    this.#span = group.spanBefore;
    this.#groupEnd?.({ ok: false, fromSeq, toSeq, error });
  }

  /** The last `limit` entries (all when `limit` is undefined), oldest first. */
  list(limit?: number): HistoryEntry[] {
    try {
      const rows = limit === undefined ? this.#all.all() : this.#last.all(limit);
      return rows.map((row) => toEntry(row as unknown as Row));
    } catch (error) {
      throw wrap(error, `Cannot read the history ${this.path}`);
    }
  }

  /**
   * Every attachment record, oldest first, one row at a time: a scan of the
   * table that holds one entry in memory, not the history.
   */
  *attachments(): Iterable<HistoryEntry> {
    let rows: Iterator<unknown>;
    try {
      rows = this.#attachments.iterate();
    } catch (error) {
      throw wrap(error, `Cannot read the history ${this.path}`);
    }
    try {
      while (true) {
        let next: IteratorResult<unknown>;
        try {
          next = rows.next();
        } catch (error) {
          throw wrap(error, `Cannot read the history ${this.path}`);
        }
        if (next.done) return;
        yield toEntry(next.value as Row);
      }
    } finally {
      // Left early (a break, a throw): the statement is reset, or its read would stay open.
      rows.return?.();
    }
  }

  /**
   * Up to `limit` entries after `afterSeq`, oldest first, at most
   * `MAX_PAGE_ENTRIES` and, given `maxBytes`, what fits in it: their sizes
   * are summed first, from the records' headers, so a page of long lines is
   * never read whole. A page ends at the end of a block of
   * {@linkcode BLOCK_SEQS} seqs (so it may hold fewer than `limit` when
   * more follow); it is empty only when none do.
   */
  page(afterSeq: number, limit: number, maxBytes = Infinity): HistoryEntry[] {
    try {
      const count = pageLimit(limit);
      if (count === 0) return [];
      let after = afterSeq;
      let last = Math.min(after + count, blockEnd(after));
      let total = this.#bytesIn(after, last);
      if (total.n === 0) {
        // A gap in the seqs (a file an older server wrote): go on from the next entry.
        const next = (this.#nextSeq.get(after) as { seq: number | null }).seq;
        if (next === null) return [];
        after = Number(next) - 1;
        last = Math.min(after + count, blockEnd(after));
        total = this.#bytesIn(after, last);
      }
      let take = total.n;
      let bytes = total.bytes;
      if (bytes > maxBytes && take > 1) {
        const sizes = (this.#pageSizes.all(after, last, take) as unknown as [number][])
          .map((row) => Number(row[0]));
        take = fitting(sizes, maxBytes);
        bytes = sizes.slice(0, take).reduce((sum, size) => sum + size, 0);
      }
      const entries = this.#page.all(after, last, take).map((row) =>
        pageEntry(row as unknown as Row)
      );
      // node:sqlite cuts a TEXT value at its first NUL, so a page holding one
      // comes back short of the bytes SQLite counted: read it again, exactly.
      if (!cutShort(entries, bytes)) return entries;
      return this.#pageExact.all(after, last, take).map((row) => toEntry(row as unknown as Row));
    } catch (error) {
      throw wrap(error, `Cannot read the history ${this.path}`);
    }
  }

  /** How many entries have a seq in (`after`, `last`], and their bytes; kept for whole, full blocks. */
  #bytesIn(after: number, last: number): RangeBytes {
    const block = after / BLOCK_SEQS;
    const whole = Number.isInteger(block) && last === after + BLOCK_SEQS;
    if (whole) {
      const known = this.#blocks.get(block);
      if (known) return known;
    }
    const row = this.#rangeBytes.get(after, last) as { n: number; bytes: number };
    const total = { n: Number(row.n), bytes: Number(row.bytes) };
    // Kept only once no entry can join the block: its last seq is committed.
    const committed = (this.#group?.spanBefore ?? this.#span).hi;
    if (whole && committed >= last) this.#blocks.set(block, total);
    return total;
  }

  /**
   * Where the last `limit` entries (all when undefined) are, without reading
   * them: all of them from the span counted at open and kept by `append`,
   * the last `limit` from their seqs. A group of chat lines under way is
   * committed (or lost) first: a range holds only entries the history keeps.
   */
  tail(limit?: number): HistoryRange {
    this.commitGroup();
    try {
      if (limit === undefined) {
        const { n, lo, hi } = this.#span;
        return n === 0 ? { fromSeq: 1, toSeq: 0, count: 0 } : { fromSeq: lo, toSeq: hi, count: n };
      }
      // Reads at most `limit` seqs, newest first, in the rowid order.
      const row = this.#lastSpan.get(limit) as { n: number; lo: number | null; hi: number | null };
      const count = Number(row.n);
      if (count === 0) return { fromSeq: 1, toSeq: 0, count: 0 };
      return { fromSeq: Number(row.lo), toSeq: Number(row.hi), count };
    } catch (error) {
      throw wrap(error, `Cannot read the history ${this.path}`);
    }
  }

  /** True if `username` has an entry in `range`: one look-up in the username index. */
  hasEntriesBy(username: string, range: HistoryRange): boolean {
    if (range.count === 0) return false;
    try {
      return this.#byUser.get(username, range.fromSeq, range.toSeq) !== undefined;
    } catch (error) {
      throw wrap(error, `Cannot read the history ${this.path}`);
    }
  }

  /** SQLite's `PRAGMA synchronous` in force: 1 (NORMAL) or 2 (FULL), see `sync`. */
  get syncLevel(): number {
    return pragma(this.#db, "synchronous");
  }

  /** How many checkpoints have run (or been tried) since the history was opened. */
  get checkpoints(): number {
    return this.#checkpoints;
  }

  /** Number of entries stored. */
  count(): number {
    return this.#span.n;
  }

  /**
   * Copies the WAL into the file when {@linkcode CHECKPOINT_MIN_COMMITS}
   * says so: once due, after the WAL is flushed to disk off the event loop;
   * at {@linkcode CHECKPOINT_MAX_COMMITS}, at once. The entry is stored
   * already: a checkpoint that fails (a full disk) leaves it in the WAL,
   * and the next one tries again.
   */
  #checkpointIfDue(): void {
    this.#commits++;
    if (this.#checkpointWaits) return this.#checkpointNow();
    if (this.#commits >= CHECKPOINT_MAX_COMMITS) return this.#checkpointNow();
    if (this.#flushing || this.#commits < CHECKPOINT_MIN_COMMITS) return;
    if (performance.now() - this.#checkpointedAt < this.#checkpointIntervalMs) return;
    const wal = this.#syncFull ? false : this.#openWal();
    if (!wal) return this.#checkpointNow();
    this.#flushing = wal.syncData().catch(() => {
      // The checkpoint flushes it all the same.
    }).finally(() => {
      this.#flushing = null;
      if (this.#closed || this.#commits === 0) return;
      // Not inside a transaction: SQLite cannot checkpoint there.
      if (this.#group) this.#checkpointWaits = true;
      else this.#checkpointNow();
    });
  }

  /**
   * The WAL, open for {@linkcode FsFile.syncData}, or false where it cannot
   * be: without read permission for it (asked first: `deno run` in a
   * terminal would otherwise prompt, with every user waiting for the
   * answer), on Windows (`FlushFileBuffers` needs a handle that may write),
   * or where it is not beside `path` (a symbolic link: SQLite keeps it beside
   * the file linked to).
   */
  #openWal(): Deno.FsFile | false {
    if (this.#wal !== null) return this.#wal;
    this.#wal = false;
    if (Deno.build.os === "windows") return false;
    const path = `${this.path}-wal`;
    try {
      if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return false;
      this.#wal = Deno.openSync(path, { read: true });
    } catch {
      // Flushed by the checkpoint itself, as without the permission.
    }
    return this.#wal;
  }

  #checkpointNow(): void {
    this.#checkpoints++;
    this.#commits = 0;
    this.#checkpointWaits = false;
    this.#checkpointedAt = performance.now();
    try {
      this.#checkpoint.get();
    } catch {
      // Stored in the WAL all the same; retried after the next commits.
    }
  }

  /** Checkpoints the WAL into the file and closes it. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.commitGroup();
    this.#closed = true;
    this.#db.close();
    if (this.#wal) this.#wal.close();
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Closes the history, then waits for a flush of its WAL still under way
   * to end (it needs nothing of the history, but holds the WAL open).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#flushing;
  }
}

function checkIntegrity(db: DatabaseSync, path: string): void {
  const rows = db.prepare("PRAGMA quick_check").all() as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== "ok");
  if (problems.length > 0) {
    throw new HistoryError(
      `Cannot use the history ${path}: it is damaged (${problems[0]}${
        problems.length > 1 ? ` and ${problems.length - 1} more problem(s)` : ""
      })`,
    );
  }
}

function pragma(db: DatabaseSync, name: string): number {
  const row = db.prepare(`PRAGMA ${name}`).get() as Record<string, number>;
  return Number(row[name]);
}

/**
 * True for a new, empty file; throws for a file that is not a chatroom
 * history or has a newer schema. Only reads.
 */
function identify(db: DatabaseSync, path: string): boolean {
  const appId = pragma(db, "application_id");
  const version = pragma(db, "user_version");
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number };
  if (appId === 0 && Number(tables.n) === 0) return true;
  if (appId !== APPLICATION_ID) {
    throw new HistoryError(
      `Cannot use the history ${path}: it is an SQLite database but not a chatroom history (application_id ${appId}, expected ${APPLICATION_ID})`,
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new HistoryError(
      `Cannot use the history ${path}: it has schema version ${version}, written by a newer server (this one reads up to ${SCHEMA_VERSION})`,
    );
  }
  return false;
}

/** Creates the schema in a new file, in one transaction. */
function create(db: DatabaseSync): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(SCHEMA);
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

const KINDS: readonly EntryKind[] = ["chat", "join", "leave", "attachment", "notice"];

function toEntry(row: Row): HistoryEntry {
  const [seq, kindValue, timestamp, username, body, filename, storedName, size, sha256] = row;
  const kind = checkKind(kindValue, seq);
  const entry: HistoryEntry = {
    seq: Number(seq),
    kind,
    timestamp: Number(timestamp),
    username: text(username),
    text: text(body),
  };
  if (kind === "attachment") {
    entry.attachment = {
      filename: text(filename),
      storedName: text(storedName),
      size: Number(size),
      sha256: new Uint8Array(sha256 as Uint8Array),
    };
  }
  return entry;
}

/**
 * What the schema's CHECKs say, checked before an insert (the connection
 * ignores them, see `open`): a known kind, and a file exactly for an
 * attachment.
 */
function checkNewEntry(entry: NewEntry, path: string): void {
  if (!KINDS.includes(entry.kind)) {
    throw new HistoryError(
      `Cannot store an entry in the history ${path}: unknown kind ${JSON.stringify(entry.kind)}`,
    );
  }
  const file = entry.attachment;
  if (file && (typeof file.storedName !== "string" || typeof file.filename !== "string")) {
    throw new HistoryError(
      `Cannot store an attachment entry in the history ${path}: its file has no stored name`,
    );
  }
  if ((entry.kind === "attachment") !== (entry.attachment !== undefined)) {
    throw new HistoryError(
      `Cannot store a ${entry.kind} entry in the history ${path}: ${
        entry.attachment
          ? "only an attachment entry has a file"
          : "an attachment entry needs its file"
      }`,
    );
  }
}

function checkKind(kind: SQLInputValue, seq: SQLInputValue): EntryKind {
  if (!KINDS.includes(kind as EntryKind)) {
    throw new HistoryError(`Cannot read history entry ${seq}: unknown kind ${kind}`);
  }
  return kind as EntryKind;
}

/** An entry from a row of {@linkcode PAGE_COLUMNS}: maybe cut at a NUL, see `page`. */
function pageEntry(row: Row): HistoryEntry {
  const [seq, timestamp, username, body, more] = row;
  const attachment = typeof more === "string" && more.startsWith("[");
  const entry: HistoryEntry = {
    seq: Number(seq),
    kind: more === null ? "chat" : attachment ? "attachment" : checkKind(more, seq),
    timestamp: Number(timestamp),
    username: String(username),
    text: String(body),
  };
  if (attachment) {
    const [filename, storedName, size, sha256] = JSON.parse(more);
    entry.attachment = {
      filename: String(filename),
      storedName: String(storedName),
      size: Number(size),
      sha256: fromHex(String(sha256)),
    };
  }
  return entry;
}

/**
 * True if the entries' strings add up to fewer UTF-8 bytes than SQLite
 * counted (`TEXT_BYTES`): one was cut at a NUL. Counted first in UTF-16
 * units, the same count when every string is ASCII and uncut, and less
 * whenever one is not; then, if they differ, exactly.
 */
function cutShort(entries: HistoryEntry[], bytes: number): boolean {
  let units = 0;
  for (const e of entries) {
    units += e.username.length + e.text.length + (e.attachment?.filename.length ?? 0);
  }
  if (units === bytes) return false;
  return entries.reduce((sum, e) => sum + entryTextBytes(e), 0) !== bytes;
}

/**
 * Makes a statement return rows as arrays in column order. Deno's
 * `node:sqlite` has Node's `StatementSync#setReturnArrays`, which its type
 * declarations do not list yet.
 */
function returnArrays(statement: StatementSync): void {
  (statement as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(true);
}

function text(value: SQLInputValue): string {
  return value instanceof Uint8Array ? decodeText(value) : String(value ?? "");
}

/** Turns an SQLite error into one sentence: `<action>: <reason>`. */
function wrap(error: unknown, action: string): Error {
  if (error instanceof Deno.errors.NotCapable || error instanceof HistoryError) return error;
  const reason = errorText(error);
  const hint = /database is locked/.test(reason)
    ? " (another server is using it; stop that one or choose another --data-dir)"
    : /file is not a database|malformed/.test(reason)
    ? " (move the file aside or restore a backup, then start again)"
    : /readonly|I\/O error|unable to open/.test(reason)
    ? " (check that the server may read and write the file and its folder)"
    : "";
  return new HistoryError(`${action}: ${reason}${hint}`, { cause: error });
}
