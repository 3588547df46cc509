/**
 * docs/PROTOCOL.md, section by section, against a real server: one test per
 * rule a client writer relies on, frames built and read byte by byte.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { F, hex, joined, RawClient, rawFrame } from "./raw_wire.ts";

Deno.test("§Example bytes: a report request is the 33 bytes the document prints", () => {
  assert.equal(
    hex(rawFrame({ flags: F.REPORT_REQUEST })),
    "43 52 01 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
  );
});

Deno.test("§Report: the response's NUMBER counts active users, its TIMESTAMP is set", async () => {
  await using server = await startServer();
  await using cool = await joined(server.port, "Cool");
  await using asker = await RawClient.connect(server.port);
  const before = BigInt(Date.now());
  await asker.send({ flags: F.REPORT_REQUEST });
  const report = await asker.next(F.REPORT_RESPONSE);
  assert.deepEqual(report.fixed.subarray(0, 4), new Uint8Array([0x43, 0x52, 1, 0]));
  assert.equal(report.number, 1);
  assert.match(report.text, /^Cool\t127\.0\.0\.1\t\d+\n$/);
  assert.ok(report.timestamp >= before, "a report response carries the server's time");
  void cool;
});

Deno.test("§Joining: a join accept's NUMBER counts the history frames that follow", async () => {
  await using server = await startServer();
  await using cool = await joined(server.port, "Cool");
  await cool.send({ payload: "one" });
  await cool.send({ payload: "two" });
  await cool.next(0);
  await cool.next(0);
  await using fire = await RawClient.connect(server.port);
  await fire.send({ flags: F.JOIN_REQUEST, username: "Fire" });
  const accept = await fire.next(F.JOIN_ACCEPT);
  assert.equal(accept.username, "Fire");
  const history = [];
  for (let i = 0; i < accept.number; i++) history.push(await fire.frame());
  assert.ok(history.every((f) => (f.flags & F.HISTORY) !== 0));
  assert.deepEqual(history.map((f) => f.text), [
    "Cool joined the chatroom.",
    "one",
    "two",
  ]);
  const live = await fire.frame();
  assert.equal(live.flags, F.NEW_USER);
  assert.equal(live.text, "Fire joined the chatroom.");
});

Deno.test("§Joining: a rejected client stays connected and may ask again", async () => {
  await using server = await startServer();
  await using cool = await joined(server.port, "Cool");
  await using other = await RawClient.connect(server.port);
  await other.send({ flags: F.JOIN_REQUEST, username: "cool" });
  const reject = await other.next(F.JOIN_REJECT);
  assert.equal(reject.code, 2);
  await other.send({ flags: F.JOIN_REQUEST, username: "Fun" });
  assert.equal((await other.next(F.JOIN_ACCEPT)).username, "Fun");
  void cool;
});

Deno.test("§Chat: one trailing newline is dropped before a line is stored and relayed", async (t) => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun");
  for (const sent of ["Hi\n", "Hi\r\n", "Hi"]) {
    await t.step(JSON.stringify(sent), async () => {
      await fun.send({ payload: sent });
      const relayed = await fun.next(0);
      assert.equal(relayed.text, "Hi");
      // The document's example, with this frame's timestamp.
      const expected = rawFrame({ sender: "Fun", timestamp: relayed.timestamp, payload: "Hi" });
      assert.equal(hex(rawFrame({ ...relayed, payload: relayed.payload })), hex(expected));
    });
  }
  await fun.send({ payload: "two\n\n" });
  assert.equal((await fun.next(0)).text, "two\n", "only one newline is dropped");
});

Deno.test("§Chat: a message of only whitespace is refused with INVALID_TEXT, connection kept", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun");
  for (const blank of [" \t ", "\n", ""]) {
    await fun.send({ payload: blank });
    const error = await fun.next(F.ERROR);
    assert.equal(error.code, 10);
  }
  await fun.send({ payload: "still here" });
  assert.equal((await fun.next(0)).text, "still here");
});

Deno.test("§Chat: invalid UTF-8 in a message is replaced with U+FFFD", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun");
  await fun.send({ payload: new Uint8Array([0x48, 0xff, 0x69]) });
  assert.equal((await fun.next(0)).text, "H\uFFFDi");
});

Deno.test("§Chat: a message before joining is refused with NOT_JOINED, connection kept", async () => {
  await using server = await startServer();
  await using stranger = await RawClient.connect(server.port);
  await stranger.send({ payload: "hello?" });
  assert.equal((await stranger.next(F.ERROR)).code, 4);
  await stranger.send({ flags: F.REPORT_REQUEST });
  await stranger.next(F.REPORT_RESPONSE);
});

Deno.test("§Quitting: the leaver gets the quit accept and may join again on the same connection", async () => {
  await using server = await startServer();
  await using fire = await joined(server.port, "Fire");
  await fire.send({ flags: F.QUIT_REQUEST });
  const accept = await fire.next(F.QUIT_ACCEPT);
  assert.equal(accept.username, "Fire");
  assert.equal(accept.text, "Fire left the chatroom.");
  await fire.send({ flags: F.JOIN_REQUEST, username: "Fire" });
  assert.equal((await fire.next(F.JOIN_ACCEPT)).username, "Fire");
});

Deno.test("§Usernames: 32 characters after NFC are allowed, 33 refused, connection kept", async () => {
  await using server = await startServer();
  await using client = await RawClient.connect(server.port);
  await client.send({ flags: F.JOIN_REQUEST, username: "a".repeat(33) });
  const reject = await client.next(F.JOIN_REJECT);
  assert.equal(reject.code, 3);
  assert.match(reject.text, /longer than 32 characters/);
  // 32 characters typed decomposed (e + U+0301): 64 bytes, 32 characters after NFC.
  await client.send({ flags: F.JOIN_REQUEST, username: "e\u0301".repeat(16) + "x".repeat(16) });
  await client.next(F.JOIN_ACCEPT);
});

Deno.test("§Usernames: a name over 64 bytes of UTF-8 cannot be sent: BAD_HEADER, closed", async () => {
  await using server = await startServer();
  await using client = await RawClient.connect(server.port);
  // 21 CJK characters are 63 bytes: allowed.
  await client.send({ flags: F.JOIN_REQUEST, username: "漢".repeat(21) });
  await client.next(F.JOIN_ACCEPT);
  await using wide = await RawClient.connect(server.port);
  // 32 CJK characters are 96 bytes: more than the USERNAME field may hold.
  await wide.send({ flags: F.JOIN_REQUEST, username: "漢".repeat(32) });
  assert.equal((await wide.next(F.ERROR)).code, 102);
  await wide.closed();
});

Deno.test("§Usernames: Server and its look-alikes are refused with INVALID_USERNAME", async () => {
  await using server = await startServer();
  await using client = await RawClient.connect(server.port);
  for (const name of ["Server", "SERVER", "\u0405erver", "Ｓｅｒｖｅｒ"]) {
    await client.send({ flags: F.JOIN_REQUEST, username: name });
    assert.equal((await client.next(F.JOIN_REJECT)).code, 3, name);
  }
  for (const name of ["Fun\u00ad", "Fun\u200b", " Fun"]) {
    await client.send({ flags: F.JOIN_REQUEST, username: name });
    assert.equal((await client.next(F.JOIN_REJECT)).code, 3, JSON.stringify(name));
  }
});

Deno.test("§Usernames: a name whose key is an active user's is USERNAME_TAKEN, connection kept", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun");
  await using other = await RawClient.connect(server.port);
  for (const name of ["fun", "ＦＵＮ", "F\u057dn"]) {
    await other.send({ flags: F.JOIN_REQUEST, username: name });
    const reject = await other.next(F.JOIN_REJECT);
    assert.equal(reject.code, 2, name);
    assert.equal(
      reject.text,
      "The server rejects the join request. Another user is using this username.",
    );
  }
  void fun;
});

Deno.test("§Errors: a second join on a joined connection is ALREADY_JOINED, connection kept", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun");
  await fun.send({ flags: F.JOIN_REQUEST, username: "Other" });
  assert.equal((await fun.next(F.ERROR)).code, 5);
  await fun.send({ payload: "still Fun" });
  assert.equal((await fun.next(0)).sender, "Fun");
});

Deno.test("§Errors: a quit before joining is NOT_JOINED, connection kept", async () => {
  await using server = await startServer();
  await using stranger = await RawClient.connect(server.port);
  await stranger.send({ flags: F.QUIT_REQUEST });
  assert.equal((await stranger.next(F.ERROR)).code, 4);
  await stranger.send({ flags: F.JOIN_REQUEST, username: "Late" });
  await stranger.next(F.JOIN_ACCEPT);
});

Deno.test("§Frames a client may send: any other combination is BAD_FRAME and closes", async (t) => {
  await using server = await startServer();
  const combinations = [
    F.HISTORY,
    F.HISTORY | F.ATTACHMENT,
    F.ECHO | F.ATTACHMENT,
    F.ERROR,
    F.NOTICE,
    F.AVATAR,
    F.REPORT_RESPONSE,
    F.REPORT_REQUEST | F.JOIN_REQUEST,
    F.JOIN_REQUEST | F.AVATAR,
  ];
  for (const flags of combinations) {
    await t.step(`0x${flags.toString(16).padStart(4, "0")}`, async () => {
      await using client = await RawClient.connect(server.port);
      await client.send({ flags, payload: "x" });
      const error = await client.next(F.ERROR);
      assert.equal(error.code, 105);
      await client.closed();
    });
  }
});

Deno.test("§Errors: a code of 100 and up closes the connection (BAD_MAGIC)", async () => {
  await using server = await startServer();
  await using client = await RawClient.connect(server.port);
  await client.send(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  assert.equal((await client.next(F.ERROR)).code, 100);
  await client.closed();
});

Deno.test("§Frame layout: bit 15 of FLAGS set is BAD_HEADER and closes", async () => {
  await using server = await startServer();
  await using client = await RawClient.connect(server.port);
  await client.send({ flags: 0x8000 });
  assert.equal((await client.next(F.ERROR)).code, 102);
  await client.closed();
});

Deno.test("§Limits: a PAYLOAD_LENGTH over 2^53 - 1 is PAYLOAD_TOO_LARGE and closes", async (t) => {
  await using server = await startServer();
  for (const flags of [0, F.ATTACHMENT]) {
    await t.step(flags ? "attachment" : "chat", async () => {
      await using client = await RawClient.connect(server.port);
      await client.send(rawFrame({ flags, payloadLength: 2n ** 53n }));
      assert.equal((await client.next(F.ERROR)).code, 103);
      await client.closed();
    });
  }
});

Deno.test("§Limits: a non-attachment payload over 1 MiB is PAYLOAD_TOO_LARGE and closes", async () => {
  await using server = await startServer();
  await using client = await RawClient.connect(server.port);
  await client.send(rawFrame({ payloadLength: 1048577n }));
  assert.equal((await client.next(F.ERROR)).code, 103);
  await client.closed();
});

Deno.test("§Limits: a chat message over 64 KiB is MESSAGE_TOO_LARGE, connection kept", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun");
  await fun.send({ payload: "x".repeat(65537) });
  assert.equal((await fun.next(F.ERROR)).code, 9);
  await fun.send({ payload: "ok" });
  assert.equal((await fun.next(0)).text, "ok");
});

Deno.test("§Shutdown: the notice and one left line per user are stored in the history", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-conformance-" });
  const { SqliteHistory } = await import("../../lib/server/history/sqlite_history.ts");
  try {
    {
      const history = SqliteHistory.open(`${dir}/h.db`);
      await using server = await startServer({ history });
      await using cool = await joined(server.port, "Cool");
      await server.server.close();
      await cool.closed();
      history.close();
    }
    const history = SqliteHistory.open(`${dir}/h.db`);
    await using server = await startServer({ history });
    using _closeHistory = { [Symbol.dispose]: () => history.close() };
    await using fire = await RawClient.connect(server.port);
    await fire.send({ flags: F.JOIN_REQUEST, username: "Fire" });
    const accept = await fire.next(F.JOIN_ACCEPT);
    const texts = [];
    for (let i = 0; i < accept.number; i++) texts.push((await fire.frame()).text);
    assert.deepEqual(texts, [
      "Cool joined the chatroom.",
      "The server is shutting down.",
      "Cool left the chatroom.",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
