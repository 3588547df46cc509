import assert from "node:assert/strict";
import { RoomView } from "../../lib/gui/room_view.ts";
import type { ToPage } from "../../lib/gui/page_protocol.ts";
import { makePng } from "../support/png.ts";

/** A view whose broadcasts are kept, fed the start of a session as Cool with Fun's avatar. */
function viewInRoom() {
  const told: ToPage[] = [];
  const view = new RoomView({ broadcast: (m) => told.push(m), refreshMembers: () => {} });
  view.apply({ type: "joined", username: "Cool", historyCount: 0 });
  view.apply({ type: "history-end" });
  view.apply({ type: "avatar", username: "Fun", filename: "f.png", bytes: makePng(4, 4) });
  view.apply({ type: "chat", timestamp: 1, sender: "Fun", text: "hi", history: false });
  return { view, told };
}

const hello = (view: RoomView) => view.hello("localhost:1") as Extract<ToPage, { t: "hello" }>;

Deno.test("RoomView keeps a lost session's conversation and avatars, and says why it ended", () => {
  const { view, told } = viewInRoom();
  view.apply({ type: "disconnected", reason: "The server closed the connection." });
  assert.deepEqual(told.at(-1), { t: "disconnected", reason: "The server closed the connection." });
  const h = hello(view);
  assert.equal(h.username, null);
  assert.deepEqual(h.lost, { username: "Cool", reason: "The server closed the connection." });
  assert.deepEqual(h.entries.map((e) => e.text), ["hi"]);
  assert.deepEqual(h.avatars.map((a) => a.key), ["fun"]);
});

Deno.test("RoomView.dismiss() forgets a lost session; joining again clears it too", async (t) => {
  await t.step("dismiss", () => {
    const { view } = viewInRoom();
    view.apply({ type: "disconnected", reason: "gone" });
    view.dismiss();
    const h = hello(view);
    assert.equal(h.lost, null);
    assert.deepEqual(h.entries, []);
    assert.deepEqual(h.avatars, []);
    assert.equal(view.avatar("fun"), undefined);
  });
  await t.step("a new join", () => {
    const { view } = viewInRoom();
    view.apply({ type: "disconnected", reason: "gone" });
    view.apply({ type: "joined", username: "Cool", historyCount: 0 });
    assert.equal(hello(view).lost, null);
  });
  await t.step("dismiss while in the room changes nothing", () => {
    const { view } = viewInRoom();
    view.dismiss();
    assert.deepEqual(hello(view).entries.map((e) => e.text), ["hi"]);
  });
});

Deno.test("RoomView forgets avatars on leaving: a namesake may join while we are out", () => {
  const { view } = viewInRoom();
  view.apply({ type: "left" });
  const h = hello(view);
  assert.equal(h.lost, null);
  assert.deepEqual(h.avatars, []);
  assert.equal(view.avatar("fun"), undefined);
});

Deno.test("RoomView shows a discarded attachment as one line with the server's reason", () => {
  const { view, told } = viewInRoom();
  view.apply({
    type: "discarded",
    timestamp: 5,
    sender: "Fun",
    filename: "big.bin",
    reason: "Fun's upload of big.bin broke off after 1.0 MiB of 2.0 MiB.",
  });
  view.apply({ type: "discarded", timestamp: 6, sender: "Fun", filename: "b.bin", reason: " " });
  const entry = { kind: "error", ts: 5, sender: "Fun", history: false } as const;
  assert.deepEqual(hello(view).entries.slice(-2), [
    {
      ...entry,
      text: "Fun's attachment big.bin was discarded: Fun's upload of big.bin broke off after " +
        "1.0 MiB of 2.0 MiB.",
    },
    { ...entry, ts: 6, text: "Fun's attachment b.bin was discarded." },
  ]);
  assert.equal(told.at(-1)?.t, "entry");
});

Deno.test("RoomView keeps what a server sends within its budgets: lines by characters, avatars by bytes", () => {
  const told: ToPage[] = [];
  const view = new RoomView({
    broadcast: (m) => told.push(m),
    refreshMembers: () => {},
    maxEntryChars: 1000,
    maxAvatarBytes: 3 * makePng(4, 4).length,
  });
  view.apply({ type: "joined", username: "Cool", historyCount: 0 });
  for (let i = 0; i < 50; i++) {
    view.apply({
      type: "chat",
      timestamp: i,
      sender: "Fun",
      text: `${i}`.padEnd(97, "x"),
      history: true,
    });
  }
  const entries = hello(view).entries;
  // 100 characters a line (text and sender): the newest ten.
  assert.deepEqual(entries.map((e) => e.ts), [40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
  // One huge line is kept alone, cut, and says so.
  view.apply({
    type: "chat",
    timestamp: 99,
    sender: "Fun",
    text: "y".repeat(1_000_000),
    history: false,
  });
  const [huge, ...more] = hello(view).entries;
  assert.equal(more.length, 0);
  assert.match(huge.text, /^y{262144}… \(737856 more characters not shown\)$/);
  // Avatars: a server sending one for every name ever seen; the oldest are forgotten, and the pages told.
  for (const name of ["A", "B", "C", "D", "E"]) {
    view.apply({ type: "avatar", username: name, filename: "a.png", bytes: makePng(4, 4) });
  }
  assert.deepEqual(hello(view).avatars.map((a) => a.key), ["c", "d", "e"]);
  assert.equal(view.avatar("a"), undefined);
  assert.deepEqual(
    told.filter((m) => m.t === "avatar" && m.url === null).map((m) => m.t === "avatar" && m.key),
    ["a", "b"],
  );
});

Deno.test("RoomView serves the files of lines it no longer keeps (a page may show them), up to a bound", () => {
  const view = new RoomView({
    broadcast: () => {},
    refreshMembers: () => {},
    maxEntries: 1,
    maxServedFiles: 2,
  });
  view.apply({ type: "joined", username: "Cool", historyCount: 0 });
  const file = (name: string) => ({
    type: "attachment" as const,
    timestamp: 1,
    sender: "Fun",
    filename: name,
    size: 1,
    history: false,
    file: {
      path: `/tmp/${name}`,
      name,
      size: 1,
      sha256: new Uint8Array(32),
      head: new Uint8Array([0]),
    },
  });
  view.apply(file("one.bin"));
  const url = hello(view).entries[0].file!.url!;
  const id = url.slice("/file/".length);
  assert.equal(view.file(id)?.name, "one.bin");
  view.apply(file("two.bin"));
  assert.equal(view.file(id)?.name, "one.bin", "its line is gone; its link still works");
  view.apply(file("three.bin"));
  assert.equal(view.file(id), undefined, "past the bound, the oldest file's link goes");
  assert.deepEqual(hello(view).entries.map((e) => e.file?.name), ["three.bin"]);
});

Deno.test("RoomView shows a hostile server's bidi tricks in names as the terminal does: escaped", () => {
  const view = new RoomView({ broadcast: () => {}, refreshMembers: () => {} });
  view.apply({ type: "joined", username: "Cool", historyCount: 0 });
  view.apply({ type: "chat", timestamp: 1, sender: "Fun\u202e", text: "hi", history: false });
  view.apply({
    type: "attachment",
    timestamp: 2,
    sender: "Fun",
    filename: "x\u202efdp.exe",
    size: 1,
    history: false,
    file: { error: "not saved" },
  });
  view.apply({ type: "avatar", username: "Fun\u202e", filename: "f.png", bytes: makePng(4, 4) });
  const [chat, file] = hello(view).entries;
  assert.equal(chat.sender, "Fun\\u202e");
  // Filed under the name the page is given, so the page finds it.
  assert.deepEqual(hello(view).avatars.map((a) => a.key), ["fun\\u202e"]);
  assert.equal(file.file?.name, "x\\u202efdp.exe");
});
