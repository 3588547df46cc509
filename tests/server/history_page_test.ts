import assert from "node:assert/strict";
import {
  entryTextBytes,
  type HistoryEntry,
  type HistoryStore,
  MAX_PAGE_ENTRIES,
  MemoryHistory,
} from "../../lib/server/history/history.ts";
import { SqliteHistory } from "../../lib/server/history/sqlite_history.ts";

/** Runs `check` on both stores, each holding `count` chat lines by Cool, Fun and Fire in turn. */
async function bothStores(
  t: Deno.TestContext,
  count: number,
  check: (store: HistoryStore) => void,
): Promise<void> {
  const fill = (store: HistoryStore) => {
    const names = ["Cool", "Fun", "Fire"];
    for (let i = 0; i < count; i++) {
      store.append({ kind: "chat", timestamp: i, username: names[i % 3], text: `line ${i + 1}` });
    }
    return store;
  };
  await t.step("MemoryHistory", () => check(fill(new MemoryHistory())));
  await t.step("SqliteHistory", async () => {
    const dir = await Deno.makeTempDir({ prefix: "chatroom-page-" });
    try {
      await using store = SqliteHistory.open(`${dir}/chatroom.db`);
      check(fill(store));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("HistoryStore.page() reads the entries after a seq, oldest first, a bounded page at a time", async (t) => {
  await bothStores(t, 2000, (store) => {
    assert.deepEqual(store.page(0, 3).map((e) => e.text), ["line 1", "line 2", "line 3"]);
    assert.deepEqual(store.page(1998, 10).map((e) => e.seq), [1999, 2000]);
    assert.deepEqual(store.page(2000, 10), []);
    assert.deepEqual(store.page(5, 0), []);
    assert.equal(store.page(0, 1_000_000).length, MAX_PAGE_ENTRIES, "never more than a page");
    const all = [];
    for (let after = 0;;) {
      const page = store.page(after, 16);
      if (page.length === 0) break;
      all.push(...page);
      after = page[page.length - 1].seq;
    }
    assert.deepEqual(all, store.list());
  });
});

Deno.test("HistoryStore.page(…, maxBytes) stops before the entries' bytes pass the bound, and never returns none", async (t) => {
  // Lines by Cool, Fun, Fire in turn: "line N" is 6–9 bytes, a username 3–4.
  await bothStores(t, 3000, (store) => {
    const bytes = (page: HistoryEntry[]) => page.reduce((n, e) => n + entryTextBytes(e), 0);
    const page = store.page(0, 1000, 100);
    assert.ok(
      page.length > 1 && bytes(page) <= 100,
      `${page.length} entries, ${bytes(page)} bytes`,
    );
    // One more entry would not have fitted.
    assert.ok(bytes(store.page(0, page.length + 1)) > 100);
    assert.deepEqual(page, store.page(0, page.length));
    // A bound smaller than one entry still gives that entry.
    assert.deepEqual(store.page(10, 1000, 1).map((e) => e.seq), [11]);
    // Paging with a bound reads everything, once, in order.
    const all = [];
    for (let after = 0;;) {
      const next = store.page(after, 1000, 4096);
      if (next.length === 0) break;
      assert.ok(next.length === 1 || bytes(next) <= 4096);
      all.push(...next);
      after = next[next.length - 1].seq;
    }
    assert.deepEqual(all, store.list());
  });
});

Deno.test("HistoryStore.tail() tells where the last entries are without reading them", async (t) => {
  await bothStores(t, 10, (store) => {
    assert.deepEqual(store.tail(), { fromSeq: 1, toSeq: 10, count: 10 });
    assert.deepEqual(store.tail(3), { fromSeq: 8, toSeq: 10, count: 3 });
    assert.deepEqual(store.tail(99), { fromSeq: 1, toSeq: 10, count: 10 });
    assert.equal(store.tail(0).count, 0);
  });
  await bothStores(t, 0, (store) => assert.equal(store.tail().count, 0));
});

Deno.test("HistoryStore.hasEntriesBy() finds a username's entries in a range, by exact name", async (t) => {
  await bothStores(t, 9, (store) => {
    // Cool wrote lines 1, 4, 7; Fun 2, 5, 8; Fire 3, 6, 9.
    const range = (fromSeq: number, toSeq: number) => ({
      fromSeq,
      toSeq,
      count: toSeq - fromSeq + 1,
    });
    assert.equal(store.hasEntriesBy("Cool", range(1, 9)), true);
    assert.equal(store.hasEntriesBy("Cool", range(5, 6)), false);
    assert.equal(store.hasEntriesBy("Cool", range(7, 7)), true);
    assert.equal(store.hasEntriesBy("Fire", range(1, 2)), false);
    assert.equal(store.hasEntriesBy("cool", range(1, 9)), false, "the name as stored");
    assert.equal(store.hasEntriesBy("Nobody", range(1, 9)), false);
    assert.equal(store.hasEntriesBy("Cool", store.tail(0)), false);
  });
});
