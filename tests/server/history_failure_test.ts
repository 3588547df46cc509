/**
 * When the history cannot store: the room's rules and the log's throttle
 * without sockets, attachment records checked against the disk, and a full
 * disk under a live server.
 */
import assert from "node:assert/strict";
import { sentFrames } from "../support/sent_frames.ts";
import {
  type HistoryEntry,
  HistoryError,
  MemoryHistory,
  type NewEntry,
} from "../../lib/server/history/history.ts";
import { Room } from "../../lib/server/room/room.ts";
import {
  attachmentProblem,
  describeMissing,
  findMissingAttachments,
} from "../../lib/server/history/attachment_check.ts";
import { missingAttachmentFrame } from "../../lib/server/room/entry_frame.ts";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { type Frame } from "../../lib/shared/wire/frame.ts";
import { Logger } from "../../lib/shared/log.ts";
import { SqliteHistory } from "../../lib/server/history/sqlite_history.ts";
import { startServer, TestClient, text } from "../support/harness.ts";

/** A store that works until told to fail, like a disk filling up. */
class FlakyHistory extends MemoryHistory {
  failing = false;
  override append(entry: NewEntry): HistoryEntry {
    if (this.failing) throw new HistoryError("Cannot store: database or disk is full");
    return super.append(entry);
  }
}

const peer = { hostname: "127.0.0.1", port: 1 };

Deno.test("Room: a join the history cannot store is not a join", () => {
  const history = new FlakyHistory();
  const room = new Room({ history });
  history.failing = true;
  assert.throws(() => room.join(1, "Cool", peer), HistoryError);
  assert.equal(room.members.length, 0);
  history.failing = false;
  room.join(1, "Cool", peer);
  assert.equal(room.members.length, 1);
});

Deno.test("Room: a chat line the history cannot store reaches nobody and changes nothing", () => {
  const history = new FlakyHistory();
  const room = new Room({ history });
  room.join(1, "Cool", peer);
  history.failing = true;
  assert.throws(() => room.chat(1, "lost?"), HistoryError);
  assert.equal(history.count(), 1);
  assert.equal(room.members.length, 1);
});

Deno.test("Room: a leaving user's seat is freed even when the history cannot record the leave", () => {
  const history = new FlakyHistory();
  const room = new Room({ history, maxUsers: 1 });
  room.join(1, "Cool", peer);
  history.failing = true;
  assert.throws(() => room.disconnect(1), HistoryError);
  assert.equal(room.members.length, 0, "no ghost holding the only seat");
  history.failing = false;
  room.join(3, "Fire", peer);
  history.failing = true;
  assert.throws(() => room.quit(3), HistoryError);
  assert.equal(room.members.length, 0, "a quit frees it too");
  history.failing = false;
  const [accept] = sentFrames(room.join(2, "Fun", peer).out, room.history);
  assert.ok("frame" in accept && accept.frame.flags === FLAG.JOIN_ACCEPT);
});

Deno.test("findMissingAttachments() names records whose file is gone or the wrong size", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-check-" });
  try {
    await Deno.writeTextFile(`${dir}/here.txt`, "12345");
    await Deno.writeTextFile(`${dir}/short.txt`, "12");
    const history = new MemoryHistory();
    const attach = (storedName: string, size: number) =>
      history.append({
        kind: "attachment",
        timestamp: 5,
        username: "Fire",
        text: "",
        attachment: { filename: storedName, storedName, size, sha256: new Uint8Array(32) },
      });
    history.append({ kind: "chat", timestamp: 1, username: "Cool", text: "Hi" });
    attach("here.txt", 5);
    attach("gone.txt", 3);
    attach("short.txt", 5);
    const missing = findMissingAttachments(history.list(), dir);
    assert.deepEqual(missing.map((m) => [m.entry.seq, m.problem]), [
      [3, "it is missing"],
      [4, "it is 2 bytes, the history says 5"],
    ]);
    assert.equal(
      describeMissing(missing[0]),
      `History entry #3 (attachment "gone.txt" from Fire) points at ${dir}/gone.txt, but it is missing; users will be told it is gone`,
    );
    assert.equal(attachmentProblem(dir, 0), "it is not a file");
    const frame = missingAttachmentFrame(missing[0].entry, true);
    assert.equal(frame.flags, FLAG.NOTICE | FLAG.HISTORY);
    assert.equal(frame.timestamp, 5);
    assert.equal(frame.payload, "Fire's attachment gone.txt is no longer available on the server.");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A store that must never be read whole: the server's start-up check reads attachment records only. */
class UnlistableHistory extends MemoryHistory {
  override list(): HistoryEntry[] {
    throw new Error("list() read the whole history into memory");
  }
}

Deno.test("SqliteHistory.attachments() yields the attachment records alone, oldest first", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-check-" });
  try {
    await using history = SqliteHistory.open(`${dir}/chatroom.db`);
    const file = (name: string) => ({
      filename: name,
      storedName: name,
      size: 1,
      sha256: new Uint8Array(32).fill(1),
    });
    history.append({ kind: "chat", timestamp: 1, username: "Cool", text: "x".repeat(70_000) });
    history.append({
      kind: "attachment",
      timestamp: 2,
      username: "Fire",
      text: "",
      attachment: file("a.txt"),
    });
    history.append({
      kind: "join",
      timestamp: 3,
      username: "Fun",
      text: "Fun joined the chatroom.",
    });
    history.append({
      kind: "attachment",
      timestamp: 4,
      username: "Fun",
      text: "",
      attachment: file("b.txt"),
    });
    assert.deepEqual([...history.attachments()].map((e) => [e.seq, e.attachment?.storedName]), [
      [2, "a.txt"],
      [4, "b.txt"],
    ]);
    assert.deepEqual([...history.attachments()][1], history.list()[3]);
    // Left early: its read must not stay open, or no checkpoint could finish and the WAL would grow.
    for (const _ of history.attachments()) break;
    for (let i = 0; i < 2_000; i++) {
      history.append({ kind: "chat", timestamp: 5, username: "Cool", text: `line ${i}` });
    }
    const walPages = Deno.statSync(`${dir}/chatroom.db-wal`).size / (4096 + 24);
    assert.ok(walPages < 1_500, `the WAL grew to ${walPages.toFixed(0)} pages`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the server checks the history's attachment records at start-up without reading the whole history", async () => {
  const history = new UnlistableHistory();
  history.append({ kind: "chat", timestamp: 1, username: "Cool", text: "Hi" });
  history.append({
    kind: "attachment",
    timestamp: 5,
    username: "Fire",
    text: "",
    attachment: {
      filename: "gone.txt",
      storedName: "gone.txt",
      size: 3,
      sha256: new Uint8Array(32),
    },
  });
  await using server = await startServer({ history });
  await server.waitForLog(
    /History entry #2 \(attachment "gone\.txt" from Fire\) points at .*, but it is missing/,
  );
  await server.waitForLog("Server listening on");
});

Deno.test("Logger.infoThrottled() logs a flood once a second and counts what it left out", () => {
  let now = 0;
  const lines: string[] = [];
  const log = new Logger((line) => lines.push(line), () => now);
  for (let i = 0; i < 5; i++) log.infoThrottled("busy", `refused ${i}`);
  log.infoThrottled("accept", "other kind");
  now = 1500;
  log.infoThrottled("busy", "refused 5");
  assert.deepEqual(lines.map((l) => l.slice(11)), [
    "refused 0",
    "other kind",
    "refused 5 (4 more like it not logged)",
  ]);
});

Deno.test("Logger makes every line inert: C1 controls, bidi and line separators become visible escapes", () => {
  const lines: string[] = [];
  const log = new Logger((line) => lines.push(line), () => 0);
  log.info('Message from Cool: "a\u009b2Jb\u202ec\u2028d\u061ce\u0085f\u001bg"');
  log.raw("recv \u009bX");
  assert.equal(
    lines[0].slice(11),
    'Message from Cool: "a\\x9b2Jb\\u202ec\\u2028d\\u061ce\\x85f\\x1bg"',
  );
  assert.equal(lines[1], "recv \\x9bX");
});

Deno.test("requests anyone may make without joining are logged at most 10 a second each, counted", async () => {
  await using srv = await startServer({ maxUsers: 1, rateLimit: false });
  await using cool = await TestClient.join(srv.port, "Cool");
  const flood = await Promise.all(Array.from({ length: 40 }, () => TestClient.connect(srv.port)));
  try {
    for (const client of flood) {
      client.send({ flags: FLAG.JOIN_REQUEST, username: "Fun" }); // the room is full
      client.send({ flags: FLAG.REPORT_REQUEST });
      client.send({ payload: "not joined" });
    }
    for (const client of flood) {
      await client.next((f) => hasFlag(f, FLAG.JOIN_REJECT));
      await client.next((f) => hasFlag(f, FLAG.REPORT_RESPONSE));
      await client.next((f) => hasFlag(f, FLAG.ERROR));
    }
  } finally {
    await Promise.all(flood.map((client) => client.close()));
  }
  const count = (pattern: RegExp) => srv.log.filter((line) => pattern.test(line)).length;
  // 40 of each in well under the 2 s this allows: at most 10 a second, plus the second's 10.
  assert.ok(count(/join request as "Fun" rejected: ROOM_FULL/) <= 20, srv.log.join("\n"));
  assert.ok(count(/requested a report/) <= 20);
  assert.ok(count(/sent a message without joining; refused/) <= 20);
  assert.ok(count(/rejected: ROOM_FULL/) >= 1, "the first ones are logged");
  cool.send({ payload: "still here" });
  await cool.nextText("still here");
});

Deno.test("a full disk: what cannot be stored is refused to its sender only; nothing acknowledged is lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-full-" });
  try {
    const echoed: string[] = [];
    {
      await using history = SqliteHistory.open(`${dir}/chatroom.db`, { maxPageCount: 12 });
      await using srv = await startServer({ history, rateLimit: false });
      await using cool = await TestClient.join(srv.port, "Cool");
      await using fun = await TestClient.join(srv.port, "Fun");
      let refusal: Frame | undefined;
      for (let i = 0; i < 100 && !refusal; i++) {
        const line = `${i} ${"x".repeat(2000)}`;
        cool.say(line);
        const reply = await cool.next((f) => text(f) === line || hasFlag(f, FLAG.ERROR));
        if (hasFlag(reply, FLAG.ERROR)) refusal = reply;
        else echoed.push(line);
      }
      assert.ok(refusal, "the disk filled up");
      assert.equal(refusal.code, CODE.SERVER_ERROR);
      assert.equal(
        text(refusal),
        "The server could not store that, so nobody received it (database or disk is full). Try again later.",
      );
      cool.say("marker");
      await cool.next((f) => hasFlag(f, FLAG.ERROR) || text(f) === "marker");
      const funSaw = fun.frames.filter((f) => f.sender === "Cool").map(text);
      assert.deepEqual(
        funSaw.filter((t) => t !== "marker"),
        echoed,
        "Fun got exactly what Cool got echoed",
      );
      assert.ok(!fun.frames.some((f) => hasFlag(f, FLAG.ERROR)));
      assert.ok(srv.log.some((l) => /database or disk is full; #1 .* was told/.test(l)));
      fun.send({ flags: FLAG.QUIT_REQUEST });
      const quitError = await fun.next((f) => hasFlag(f, FLAG.ERROR));
      assert.equal(quitError.code, CODE.SERVER_ERROR);
      assert.equal(srv.server.room.members.length, 1, "Fun's seat is free all the same");
    }
    await using reopened = SqliteHistory.open(`${dir}/chatroom.db`);
    const stored = reopened.list().filter((e) => e.kind === "chat").map((e) => e.text);
    assert.deepEqual(stored.slice(0, echoed.length), echoed);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a full disk with grouped commits: each line is echoed or refused, the others get exactly the echoed ones, and exactly those are stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-full-group-" });
  try {
    const echoed: string[] = [];
    let refused = 0;
    {
      await using history = SqliteHistory.open(`${dir}/chatroom.db`, {
        maxPageCount: 12,
        groupCommits: true,
      });
      await using srv = await startServer({ history, rateLimit: false });
      await using cool = await TestClient.join(srv.port, "Cool");
      await using fun = await TestClient.join(srv.port, "Fun");
      // Bursts of four lines in one write: the server stores each burst in one group.
      for (let burst = 0; burst < 60 && refused < 8; burst++) {
        const lines = [0, 1, 2, 3].map((k) => `${burst}.${k} ${"x".repeat(1500)}`);
        for (const line of lines) cool.say(line);
        for (let k = 0; k < lines.length; k++) {
          const reply = await cool.next((f) => lines.includes(text(f)) || hasFlag(f, FLAG.ERROR));
          if (!hasFlag(reply, FLAG.ERROR)) {
            echoed.push(text(reply));
            continue;
          }
          refused++;
          assert.equal(reply.code, CODE.SERVER_ERROR);
          assert.match(text(reply), /^The server could not store that, so nobody received it/);
        }
      }
      assert.ok(refused > 0, "the disk filled up");
      assert.ok(
        srv.log.some((l) => /chat line\(s\) were lost, their senders were told/.test(l)),
        "a whole group was rolled back",
      );
      cool.say("marker");
      await cool.next((f) => hasFlag(f, FLAG.ERROR) || text(f) === "marker");
      const funSaw = fun.frames.filter((f) => f.sender === "Cool").map(text);
      assert.deepEqual(funSaw.filter((t) => t !== "marker"), echoed, "Fun got exactly the echoed");
      assert.ok(!fun.frames.some((f) => hasFlag(f, FLAG.ERROR)));
    }
    await using reopened = SqliteHistory.open(`${dir}/chatroom.db`);
    const stored = reopened.list().filter((e) => e.kind === "chat").map((e) => e.text);
    assert.deepEqual(stored.filter((t) => t !== "marker"), echoed, "stored: exactly the echoed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
