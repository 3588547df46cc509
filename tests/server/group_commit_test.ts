/**
 * Chat lines committed in groups (`SqliteHistory`'s `groupCommits`, as the
 * server runs): what is durable when, what a group's end reports, and that
 * the server sends nothing a group may still lose, in order.
 */
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import type { GroupEnd, NewEntry } from "../../lib/server/history/history.ts";
import { SqliteHistory } from "../../lib/server/history/sqlite_history.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { startServer, TestClient, text } from "../support/harness.ts";

const chat = (text: string): NewEntry => ({ kind: "chat", timestamp: 1, username: "Cool", text });

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function withDb(check: (path: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-group-" });
  try {
    await check(`${dir}/chatroom.db`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("groupCommits: a turn's chat lines are committed together at its end, and another kind of entry commits them first", async () => {
  await withDb(async (path) => {
    await using store = SqliteHistory.open(path, { groupCommits: true });
    const ends: GroupEnd[] = [];
    store.onGroupEnd((end) => ends.push(end));
    assert.equal(store.uncommitted, false);
    const seqs = ["one", "two", "three"].map((t) => store.append(chat(t)).seq);
    assert.deepEqual(seqs, [1, 2, 3]);
    assert.equal(store.uncommitted, true);
    assert.equal(store.count(), 3);
    assert.deepEqual(ends, [], "nothing ends before the turn does");
    await nextTurn();
    assert.deepEqual(ends, [{ ok: true }]);
    assert.equal(store.uncommitted, false);

    store.append(chat("four"));
    const join = store.append({ kind: "join", timestamp: 2, username: "Fun", text: "Fun joined" });
    assert.equal(ends.length, 2, "the join committed the line before it first");
    assert.equal(join.seq, 5);
    assert.equal(store.uncommitted, false);
    await nextTurn();
    assert.equal(ends.length, 2, "an empty turn ends no group");
    store.append(chat("five"));
  });
});

Deno.test("groupCommits: close() commits the group under way", async () => {
  await withDb(async (path) => {
    {
      await using store = SqliteHistory.open(path, { groupCommits: true });
      store.append(chat("kept"));
      assert.equal(store.uncommitted, true);
    }
    await using reopened = SqliteHistory.open(path);
    assert.deepEqual(reopened.list().map((e) => e.text), ["kept"]);
  });
});

Deno.test("groupCommits on a full disk: a group is committed or reported lost, and what the store counts is what it holds", async () => {
  await withDb(async (path) => {
    await using store = SqliteHistory.open(path, { groupCommits: true, maxPageCount: 12 });
    const accepted = new Map<number, string>();
    let groupsLost = 0;
    // A lost group's seqs are given out again, maybe in the same turn: forget them at once.
    store.onGroupEnd((end) => {
      if (end.ok) return;
      groupsLost++;
      for (let seq = end.fromSeq; seq <= end.toSeq; seq++) accepted.delete(seq);
    });
    let failures = 0;
    for (let turn = 0; turn < 40 && failures < 6; turn++) {
      for (let k = 0; k < 4; k++) {
        const line = `${turn}.${k} ${"x".repeat(1500)}`;
        try {
          accepted.set(store.append(chat(line)).seq, line);
        } catch {
          failures++;
        }
      }
      await nextTurn();
    }
    assert.ok(failures > 0, "the disk filled up");
    assert.ok(groupsLost > 0, "a whole group was rolled back");
    const stored = store.list();
    assert.equal(store.count(), stored.length);
    assert.deepEqual(store.tail(), {
      fromSeq: stored[0].seq,
      toSeq: stored.at(-1)!.seq,
      count: stored.length,
    });
    assert.deepEqual(
      stored.map((e) => [e.seq, e.text]),
      [...accepted].sort((a, b) => a[0] - b[0]),
      "stored: exactly the lines appended and not lost",
    );
  });
});

Deno.test("the server sends a chat line only once it is committed, and what came after it after it", async () => {
  await withDb(async (path) => {
    await using history = SqliteHistory.open(path, { groupCommits: true });
    await using srv = await startServer({ history, rateLimit: false });
    await using cool = await TestClient.join(srv.port, "Cool");
    await using fun = await TestClient.join(srv.port, "Fun");
    // One write: a line, a report request, another line.
    cool.say("first");
    cool.send({ flags: FLAG.REPORT_REQUEST });
    cool.say("second");
    await cool.next((f) => text(f) === "second");
    const order = cool.frames
      .filter((f) => hasFlag(f, FLAG.REPORT_RESPONSE) || f.sender === "Cool")
      .map((f) => hasFlag(f, FLAG.REPORT_RESPONSE) ? "report" : text(f));
    assert.deepEqual(order, ["first", "report", "second"]);
    await fun.next((f) => text(f) === "second");
    assert.deepEqual(fun.frames.filter((f) => f.sender === "Cool").map(text), ["first", "second"]);
    assert.deepEqual(history.list().filter((e) => e.kind === "chat").map((e) => e.text), [
      "first",
      "second",
    ]);
    assert.equal(history.uncommitted, false);
  });
});

Deno.test("groupCommits: tail() ends the group under way before it says where the entries are", async () => {
  await withDb(async (path) => {
    await using store = SqliteHistory.open(path, { groupCommits: true });
    const ends: GroupEnd[] = [];
    store.onGroupEnd((end) => ends.push(end));
    store.append(chat("one"));
    store.append(chat("two"));
    assert.equal(store.uncommitted, true);
    assert.deepEqual(store.tail(), { fromSeq: 1, toSeq: 2, count: 2 });
    assert.deepEqual(ends, [{ ok: true }], "committed before the range was taken");
    assert.equal(store.uncommitted, false);
    store.append(chat("three"));
    assert.deepEqual(store.tail(1), { fromSeq: 3, toSeq: 3, count: 1 });
    assert.equal(ends.length, 2);
  });
});
