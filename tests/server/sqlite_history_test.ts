import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { PtyTerminal } from "../support/pty_terminal.ts";
import {
  type HistoryEntry,
  HistoryError,
  type NewEntry,
} from "../../lib/server/history/history.ts";
import {
  BLOCK_SEQS,
  CHECKPOINT_MAX_COMMITS,
  CHECKPOINT_MIN_COMMITS,
  HISTORY_FILE,
  SqliteHistory,
} from "../../lib/server/history/sqlite_history.ts";

async function tempDb(): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-db-" });
  return {
    path: `${dir}/${HISTORY_FILE}`,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

const chat = (text: string, timestamp = 1_700_000_000_000): NewEntry => ({
  kind: "chat",
  timestamp,
  username: "Cool",
  text,
});

Deno.test("SqliteHistory keeps entries in order, numbered from 1, across reopening", async () => {
  await using tmp = await tempDb();
  {
    await using store = SqliteHistory.open(tmp.path);
    assert.equal(store.count(), 0);
    assert.equal(store.append(chat("Hi", 1000)).seq, 1);
    store.append({ kind: "join", timestamp: 2000, username: "Fun", text: "Fun joined." });
    const sha256 = new Uint8Array(32).fill(7);
    store.append({
      kind: "attachment",
      timestamp: 3000,
      username: "Fun",
      text: "",
      attachment: { filename: "a.txt", storedName: "a (2).txt", size: 5, sha256 },
    });
  }
  await using store = SqliteHistory.open(tmp.path);
  const entries = store.list();
  assert.deepEqual(entries.map((e) => [e.seq, e.kind, e.timestamp, e.username, e.text]), [
    [1, "chat", 1000, "Cool", "Hi"],
    [2, "join", 2000, "Fun", "Fun joined."],
    [3, "attachment", 3000, "Fun", ""],
  ]);
  assert.deepEqual(entries[2].attachment, {
    filename: "a.txt",
    storedName: "a (2).txt",
    size: 5,
    sha256: new Uint8Array(32).fill(7),
  });
  assert.equal(entries[0].attachment, undefined);
  assert.equal(store.count(), 3);
});

Deno.test("SqliteHistory.tail() and count() follow every append, and count a file with a gap as it is", async () => {
  await using tmp = await tempDb();
  {
    await using store = SqliteHistory.open(tmp.path);
    assert.deepEqual(store.tail(), { fromSeq: 1, toSeq: 0, count: 0 });
    store.append(chat("one"));
    assert.deepEqual(store.tail(), { fromSeq: 1, toSeq: 1, count: 1 });
    for (const text of ["two", "three", "four", "five"]) store.append(chat(text));
    assert.deepEqual(store.tail(), { fromSeq: 1, toSeq: 5, count: 5 });
    assert.deepEqual(store.tail(2), { fromSeq: 4, toSeq: 5, count: 2 });
    assert.equal(store.count(), 5);
  }
  // A file whose seq 2 went missing (edited by hand): the span is what is there.
  {
    const db = new DatabaseSync(tmp.path);
    db.exec("DELETE FROM history WHERE seq = 2");
    db.close();
  }
  await using store = SqliteHistory.open(tmp.path);
  assert.deepEqual(store.tail(), { fromSeq: 1, toSeq: 5, count: 4 });
  assert.equal(store.count(), 4);
  assert.equal(store.append(chat("six")).seq, 6);
  assert.deepEqual(store.tail(), { fromSeq: 1, toSeq: 6, count: 5 });
  assert.deepEqual(store.tail(3), { fromSeq: 4, toSeq: 6, count: 3 });
  assert.deepEqual(store.list().map((e) => e.text), ["one", "three", "four", "five", "six"]);
});

Deno.test("SqliteHistory checkpoints its WAL within a bounded number of commits, however fast they come", async () => {
  await using tmp = await tempDb();
  const walPages = () => Deno.statSync(`${tmp.path}-wal`).size / (4096 + 24);
  const count = CHECKPOINT_MAX_COMMITS * 10;
  {
    await using store = SqliteHistory.open(tmp.path);
    let most = 0;
    for (let i = 0; i < count; i++) {
      store.append(chat(`line ${i} ${"x".repeat(60)}`));
      if (i % 100 === 0) most = Math.max(most, walPages());
    }
    // About two WAL pages a commit: with no checkpoint the WAL would hold 10,000 pages.
    assert.ok(most < CHECKPOINT_MAX_COMMITS * 3, `the WAL grew to ${most.toFixed(0)} pages`);
    assert.ok(walPages() < CHECKPOINT_MAX_COMMITS * 3);
  }
  await using store = SqliteHistory.open(tmp.path);
  assert.equal(store.count(), count);
  assert.equal(store.list(1)[0].text, `line ${count - 1} ${"x".repeat(60)}`);
});

/** Resolves once `done()` holds, checking after each turn of the event loop; fails after 10 s. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

Deno.test("SqliteHistory flushes its WAL off the event loop before a due checkpoint, then checkpoints all of it", async () => {
  await using tmp = await tempDb();
  const walBytes = () => Deno.statSync(`${tmp.path}-wal`).size;
  {
    await using store = SqliteHistory.open(tmp.path, { checkpointIntervalMs: 0 });
    for (let i = 1; i < CHECKPOINT_MIN_COMMITS; i++) store.append(chat(`line ${i}`));
    assert.equal(store.checkpoints, 0);
    store.append(chat(`line ${CHECKPOINT_MIN_COMMITS}`));
    assert.equal(store.checkpoints, 0, "due, but the append did not wait for the disk");
    await until(() => store.checkpoints === 1, "the checkpoint ran");
    // Every frame was copied into the file: the next commit starts the WAL over.
    const before = walBytes();
    store.append(chat("after"));
    assert.equal(walBytes(), before, "the WAL started over instead of growing");
    assert.equal(store.checkpoints, 1);
  }
  await using store = SqliteHistory.open(tmp.path);
  assert.equal(store.count(), CHECKPOINT_MIN_COMMITS + 1);
  assert.equal(store.list(1)[0].text, "after");
});

Deno.test("SqliteHistory not permitted to read its WAL neither asks nor waits: it checkpoints at once", async () => {
  await using tmp = await tempDb();
  const module = new URL("../../lib/server/history/sqlite_history.ts", import.meta.url).href;
  const script = `${tmp.path}.check.ts`;
  await Deno.writeTextFile(
    script,
    `import { SqliteHistory } from ${JSON.stringify(module)};
// Started once the terminal is surely showing what it prints.
console.log("ready");
await Deno.stdin.read(new Uint8Array(16));
const store = SqliteHistory.open(Deno.args[0], { checkpointIntervalMs: 0 });
let at = 0;
for (let i = 1; i <= ${CHECKPOINT_MIN_COMMITS}; i++) {
  store.append({ kind: "chat", timestamp: 1, username: "Cool", text: "line " + i });
  if (!at && store.checkpoints === 1) at = i;
}
store.close();
console.log("checkpointed at commit " + at);
`,
  );
  // In a terminal, where `deno run` would prompt for a permission asked for and wait.
  await using term = await PtyTerminal.start(
    {
      command: Deno.execPath(),
      args: [
        "run",
        "--quiet",
        `--config=${fileURLToPath(new URL("../../deno.json", import.meta.url))}`,
        `--allow-read=${tmp.path}`,
        `--allow-write=${tmp.path}`,
        script,
      ],
    },
    [tmp.path],
    { cwd: Deno.cwd(), columns: 200 },
  );
  await term.waitForScreen("ready");
  await term.keys("Enter");
  const screen = await term.waitForScreen(/checkpointed at commit \d+/);
  assert.equal(await term.exited(), 0, await term.text());
  assert.doesNotMatch(screen, /requests read access/);
  // The last commit checkpointed before its append returned.
  assert.match(screen, new RegExp(`checkpointed at commit ${CHECKPOINT_MIN_COMMITS}\\b`));
  await using store = SqliteHistory.open(tmp.path);
  assert.equal(store.count(), CHECKPOINT_MIN_COMMITS);
});

Deno.test("SqliteHistory.list(limit) returns the last entries, oldest first", async () => {
  await using tmp = await tempDb();
  await using store = SqliteHistory.open(tmp.path);
  for (let i = 1; i <= 5; i++) store.append(chat(`m${i}`, i));
  assert.deepEqual(store.list(2).map((e) => e.text), ["m4", "m5"]);
  assert.deepEqual(store.list(0), []);
  assert.equal(store.list(99).length, 5);
});

Deno.test("SqliteHistory keeps text byte for byte, control characters included", async () => {
  await using tmp = await tempDb();
  await using store = SqliteHistory.open(tmp.path);
  const nasty = "\x1b[2J\u009b\u202e\u0000'; DROP TABLE history; --";
  store.append(chat(nasty));
  store.append({
    kind: "attachment",
    timestamp: 1,
    username: "C\u0000ol",
    text: "",
    attachment: {
      filename: "a\u0000b.txt",
      storedName: "\u0000x",
      size: 1,
      sha256: new Uint8Array(32),
    },
  });
  store.append(chat("plain, with ünïcödé ✓"));
  store.append(chat("\ufeff\u0000 starts with a byte-order mark"));
  store.append(chat("\ufeffno NUL, a byte-order mark"));
  const [first, second, third, fourth, fifth] = store.list();
  assert.equal(fourth.text, "\ufeff\u0000 starts with a byte-order mark");
  assert.equal(fifth.text, "\ufeffno NUL, a byte-order mark");
  assert.equal(first.text, nasty);
  assert.equal(second.username, "C\u0000ol");
  assert.equal(second.attachment?.filename, "a\u0000b.txt");
  assert.equal(second.attachment?.storedName, "\u0000x");
  assert.equal(third.text, "plain, with ünïcödé ✓");
});

Deno.test("SqliteHistory.page() reads what list() reads: NULs, non-ASCII, every kind and attachments alike", async () => {
  await using tmp = await tempDb();
  await using store = SqliteHistory.open(tmp.path);
  const attachment = (username: string, filename: string, size: number) => ({
    kind: "attachment" as const,
    timestamp: size,
    username,
    text: "",
    attachment: {
      filename,
      storedName: `s-${filename}`,
      size,
      sha256: new Uint8Array(32).fill(size),
    },
  });
  store.append(chat("plain ASCII"));
  store.append(attachment("Cool", "notes.txt", 7));
  store.append(chat("ünïcödé ✓ and 🎉"));
  store.append(chat("cut\u0000here"));
  store.append(attachment("F\u0000n", "a\u0000b.txt", 250));
  store.append(attachment("Fire", "résumé.pdf", 1));
  for (const kind of ["join", "leave", "notice"] as const) {
    store.append({ kind, timestamp: 9, username: "Sad", text: `Sad: ${kind}` });
  }
  for (let i = 0; i < 50; i++) store.append(chat(`line ${i}`));
  const all = store.list();
  assert.equal(all[3].text, "cut\u0000here");
  assert.deepEqual(store.page(0, 1000), all);
  // Pages that hold no NUL, some of them, and each entry alone.
  assert.deepEqual(store.page(5, 1000), all.slice(5));
  assert.deepEqual(store.page(0, 3), all.slice(0, 3));
  for (let after = 0; after < all.length; after++) {
    assert.deepEqual(store.page(after, 1), [all[after]], `entry ${after + 1}`);
  }
  // Bounded by bytes, the same entries come back in the same order.
  const paged = [];
  for (let after = 0;;) {
    const page = store.page(after, 1000, 40);
    if (page.length === 0) break;
    paged.push(...page);
    after = page[page.length - 1].seq;
  }
  assert.deepEqual(paged, all);
});

Deno.test("SqliteHistory.page() ends pages at blocks of seqs, crosses gaps, and sees entries added to the last block", async () => {
  await using tmp = await tempDb();
  const texts = (entries: HistoryEntry[]) => entries.map((e) => e.text);
  const pageAll = (store: SqliteHistory, maxBytes?: number) => {
    const all: HistoryEntry[] = [];
    for (let after = 0;;) {
      const page = store.page(after, 1024, maxBytes);
      if (page.length === 0) return all;
      all.push(...page);
      after = page[page.length - 1].seq;
    }
  };
  {
    await using store = SqliteHistory.open(tmp.path);
    for (let i = 1; i <= 5000; i++) store.append(chat(`line ${i}`));
  }
  {
    // Seqs 1030–4000 removed by hand: whole blocks with nothing in them.
    const db = new DatabaseSync(tmp.path);
    db.exec("DELETE FROM history WHERE seq BETWEEN 1030 AND 4000");
    db.close();
  }
  await using store = SqliteHistory.open(tmp.path);
  assert.equal(store.page(0, 1024).length, BLOCK_SEQS);
  assert.deepEqual(
    store.page(1000, 1024).map((e) => e.seq),
    [...Array(24).keys()].map((i) => 1001 + i),
    "to the end of the block",
  );
  assert.deepEqual(store.page(1024, 1024).map((e) => e.seq), [1025, 1026, 1027, 1028, 1029]);
  assert.equal(store.page(1029, 1024)[0].seq, 4001, "the gap is skipped");
  assert.equal(store.page(1029, 1024).length, 96, "to the end of 4001's block");
  // Twice over, the second time from the kept sums: the same entries, bounded or not.
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(texts(pageAll(store)), texts(store.list()));
    assert.deepEqual(texts(pageAll(store, 700)), texts(store.list()));
    assert.deepEqual(
      store.page(0, 1024, 100),
      store.list().slice(0, store.page(0, 1024, 100).length),
    );
  }
  // The last block was not whole: what is added to it is read too.
  assert.equal(store.page(4096, 1024).length, 904);
  for (let i = 5001; i <= 5200; i++) store.append(chat(`line ${i}`));
  assert.equal(store.page(4096, 1024).length, 1024);
  assert.equal(store.page(5120, 1024).length, 80);
  assert.deepEqual(texts(pageAll(store, 700)), texts(store.list()));
});

Deno.test("SqliteHistory refuses files it must not touch, naming them, and leaves them as they were", async (t) => {
  const cases: [string, (path: string) => void | Promise<void>, RegExp][] = [
    [
      "random bytes",
      (p) => Deno.writeFile(p, crypto.getRandomValues(new Uint8Array(8192))),
      /file is not a database \(move the file aside or restore a backup/,
    ],
    ["a folder", (p) => Deno.mkdir(p), /unable to open database file/],
    [
      "another program's database",
      (p) => {
        const db = new DatabaseSync(p);
        db.exec("CREATE TABLE accounts (id INTEGER)");
        db.close();
      },
      /is an SQLite database but not a chatroom history/,
    ],
    [
      "a newer schema",
      (p) => {
        SqliteHistory.open(p).close();
        const db = new DatabaseSync(p);
        db.exec("PRAGMA user_version = 99");
        db.close();
      },
      /schema version 99, written by a newer server/,
    ],
    [
      "a file cut in half",
      async (p) => {
        const store = SqliteHistory.open(p);
        for (let i = 0; i < 500; i++) store.append(chat(`line ${i} `.repeat(20)));
        store.close();
        const bytes = await Deno.readFile(p);
        await Deno.writeFile(p, bytes.subarray(0, bytes.length / 2));
      },
      /malformed|damaged/,
    ],
  ];
  for (const [name, make, message] of cases) {
    await t.step(name, async () => {
      await using tmp = await tempDb();
      await make(tmp.path);
      const before = (await Deno.stat(tmp.path)).isFile ? await Deno.readFile(tmp.path) : null;
      assert.throws(() => SqliteHistory.open(tmp.path), (error: Error) => {
        assert.ok(error instanceof HistoryError, String(error));
        assert.ok(error.message.includes(tmp.path), error.message);
        assert.match(error.message, message);
        assert.ok(!error.message.includes("\n"), "one line");
        return true;
      });
      if (before) assert.deepEqual(await Deno.readFile(tmp.path), before, "file untouched");
    });
  }
});

Deno.test("SqliteHistory refuses a second opener while the first holds the file", async () => {
  await using tmp = await tempDb();
  await using first = SqliteHistory.open(tmp.path);
  first.append(chat("mine"));
  assert.throws(() => SqliteHistory.open(tmp.path), /database is locked \(another server/);
  assert.equal(first.append(chat("still mine")).seq, 2);
});

Deno.test("SqliteHistory on a full disk: the append fails, nothing half-written, the rest still works", async () => {
  await using tmp = await tempDb();
  {
    await using store = SqliteHistory.open(tmp.path, { maxPageCount: 8 });
    let stored = 0;
    let failure: unknown;
    for (let i = 0; i < 1000 && !failure; i++) {
      try {
        store.append(chat(`${i} ${"x".repeat(1000)}`));
        stored++;
      } catch (error) {
        failure = error;
      }
    }
    assert.ok(failure instanceof HistoryError);
    assert.match(
      failure.message,
      /^Cannot store a chat entry in the history .*: database or disk is full$/,
    );
    assert.equal(store.count(), stored);
    assert.equal(store.list(1)[0].text.split(" ")[0], String(stored - 1));
  }
  await using reopened = SqliteHistory.open(tmp.path);
  assert.ok(reopened.count() > 0);
  reopened.append(chat("room again"));
  assert.equal(reopened.list(1)[0].text, "room again");
});

Deno.test("SqliteHistory ignores a garbage WAL file beside a good history", async () => {
  await using tmp = await tempDb();
  {
    await using store = SqliteHistory.open(tmp.path);
    store.append(chat("kept"));
  }
  await Deno.writeFile(`${tmp.path}-wal`, crypto.getRandomValues(new Uint8Array(5000)));
  await using store = SqliteHistory.open(tmp.path);
  store.append(chat("after"));
  assert.deepEqual(store.list().map((e) => e.text), ["kept", "after"]);
});

Deno.test("SqliteHistory waits for the disk on every append only when asked (server --fsync)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [sync, level] of [[undefined, 1], ["normal", 1], ["full", 2]] as const) {
      await using history = SqliteHistory.open(`${dir}/${sync ?? "default"}.db`, { sync });
      history.append({ kind: "chat", timestamp: 1, username: "Cool", text: "Hi" });
      // PRAGMA synchronous: 1 is NORMAL (survives kill -9 in WAL mode), 2 is FULL (power loss too).
      assert.equal(history.syncLevel, level, String(sync));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteHistory refuses an entry its schema's CHECKs would refuse, storing nothing", async () => {
  await using tmp = await tempDb();
  await using store = SqliteHistory.open(tmp.path);
  store.append(chat("before"));
  const bad: NewEntry[] = [
    { kind: "bogus" as NewEntry["kind"], timestamp: 1, username: "Cool", text: "?" },
    { kind: "attachment", timestamp: 1, username: "Cool", text: "" },
    {
      kind: "chat",
      timestamp: 1,
      username: "Cool",
      text: "",
      attachment: { filename: "a", storedName: "a", size: 1, sha256: new Uint8Array(32) },
    },
  ];
  // From untyped code: a file record without its stored name.
  const noStoredName = { filename: "a", size: 1, sha256: new Uint8Array(32) };
  bad.push({
    kind: "attachment",
    timestamp: 1,
    username: "Cool",
    text: "",
    attachment: noStoredName as unknown as NonNullable<NewEntry["attachment"]>,
  });
  for (const entry of bad) assert.throws(() => store.append(entry), HistoryError);
  assert.deepEqual(store.list().map((e) => e.text), ["before"]);
  assert.equal(store.append(chat("after")).seq, 2);
  // Another writer of the file still meets the CHECKs themselves.
  store.close();
  const db = new DatabaseSync(tmp.path);
  assert.throws(
    () =>
      db.exec(
        "INSERT INTO history (kind, timestamp, username, text) VALUES ('bogus', 1, 'x', 'y')",
      ),
    /CHECK constraint failed/,
  );
  db.close();
});
