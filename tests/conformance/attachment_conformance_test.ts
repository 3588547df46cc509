/**
 * docs/PROTOCOL.md's §Attachments and §Limits against a real server, with
 * hand-built frames over a raw socket.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { F, joined, RawClient, rawFrame, sha256 } from "./raw_wire.ts";

const utf8 = new TextEncoder();

/** An attachment frame for `payload` under `filename`, with its digest. */
async function attachment(filename: string, payload: string) {
  const bytes = utf8.encode(payload);
  return { flags: F.ATTACHMENT, filename, sha256: await sha256(bytes), payload: bytes };
}

Deno.test("§Attachments: a file is relayed under its safe base name with its digest and a timestamp", async () => {
  await using server = await startServer();
  await using fire = await joined(server.port, "Fire");
  const sent = await attachment("attachments/coolfile1.txt", "cool");
  await fire.send(sent);
  const relayed = await fire.next(F.ATTACHMENT);
  assert.equal(relayed.sender, "Fire");
  assert.equal(relayed.filename, "coolfile1.txt");
  assert.deepEqual(relayed.sha256, sent.sha256);
  assert.ok(relayed.timestamp > 0n);
  assert.equal(relayed.text, "cool");
});

Deno.test("§Attachments: a file with no digest is ATTACHMENT_NO_DIGEST (15) and the connection stays usable", async () => {
  await using server = await startServer();
  await using fire = await joined(server.port, "Fire");
  await fire.send({ flags: F.ATTACHMENT, filename: "a.txt", payload: "no digest" });
  const error = await fire.next(F.ERROR);
  assert.equal(error.code, 15);
  assert.match(error.text, /no SHA-256 digest/);
  await fire.send({ payload: "still here" });
  assert.equal((await fire.next(0)).text, "still here");
});

Deno.test("§Attachments: a file that does not match its digest is ATTACHMENT_HASH_MISMATCH, connection kept", async () => {
  await using server = await startServer();
  await using fire = await joined(server.port, "Fire");
  await fire.send({ ...(await attachment("a.txt", "one")), payload: "two" });
  assert.equal((await fire.next(F.ERROR)).code, 7);
  await fire.send({ payload: "still here" });
  assert.equal((await fire.next(0)).text, "still here");
  assert.deepEqual([...Deno.readDirSync(server.downloads)], [], "no file is left behind");
});

Deno.test("§Attachments: a file over --max-attachment is refused with exact sizes and closes", async () => {
  await using server = await startServer({ maxAttachment: 100 * 1024 * 1024 });
  await using fire = await joined(server.port, "Fire");
  await fire.send(rawFrame({
    flags: F.ATTACHMENT,
    filename: "big.bin",
    sha256: new Uint8Array(32),
    payloadLength: 104857601n,
  }));
  const error = await fire.next(F.ERROR);
  assert.equal(error.code, 6);
  assert.equal(
    error.text,
    "Cannot accept big.bin: it is 104857601 bytes, over the server's limit of 104857600 bytes (100 MiB); closing the connection.",
  );
  await fire.closed();
});

Deno.test("§Safe file names: unsafe characters become _, folders and edge dots go, an empty name is attachment", async (t) => {
  await using server = await startServer();
  await using fire = await joined(server.port, "Fire");
  const cases: [string, string][] = [
    ["../../etc/passwd", "passwd"],
    ["C:\\x\\a.txt", "a.txt"],
    ['a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"],
    ["bell\u0007\u202e.txt", "bell__.txt"],
    ["...hidden. ", "hidden"],
    ["CON.txt", "_CON.txt"],
    ["...", "attachment"],
    ["", "attachment"],
    ["x".repeat(150) + ".txt", "x".repeat(96) + ".txt"],
    ["é".repeat(150) + ".txt", "é".repeat(96) + ".txt"],
    ["漢".repeat(100) + ".txt", "漢".repeat(79) + ".txt"],
  ];
  for (const [typed, safe] of cases) {
    await t.step(JSON.stringify(typed.slice(0, 24)), async () => {
      await fire.send(await attachment(typed, "x"));
      const relayed = await fire.next(F.ATTACHMENT);
      assert.equal(relayed.filename, safe);
      assert.ok([...safe].length <= 100 && utf8.encode(safe).length <= 243);
    });
  }
});

Deno.test("§Attachments: a duplicate name travels as sent; only the server's disk copy is numbered", async () => {
  await using server = await startServer();
  await using fire = await joined(server.port, "Fire");
  for (const content of ["first", "second"]) {
    await fire.send(await attachment("coolfile1.txt", content));
    const relayed = await fire.next(F.ATTACHMENT);
    assert.equal(relayed.filename, "coolfile1.txt");
    assert.equal(relayed.text, content);
  }
  const onDisk = [...Deno.readDirSync(server.downloads)].map((e) => e.name).sort();
  assert.deepEqual(onDisk, ["coolfile1 (2).txt", "coolfile1.txt"]);
});

Deno.test("§Attachments: with JOIN_OPTION.ECHO the sender gets the header with ECHO and no payload", async () => {
  await using server = await startServer();
  await using fire = await joined(server.port, "Fire", 1);
  await using cool = await joined(server.port, "Cool");
  await fire.send(await attachment("a.txt", "hello"));
  const echo = await fire.next(F.ATTACHMENT);
  assert.equal(echo.flags, F.ATTACHMENT | F.ECHO);
  assert.equal(echo.payloadLength, 0n);
  assert.equal(echo.filename, "a.txt");
  assert.equal((await cool.next(F.ATTACHMENT)).text, "hello");
});

Deno.test("§Limits: a client over the rate limit is read more slowly, never cut off", async () => {
  await using server = await startServer({ rateLimit: { perSecond: 20, burst: 2 } });
  await using fun = await joined(server.port, "Fun");
  const started = Date.now();
  for (let i = 0; i < 8; i++) await fun.send({ payload: `line ${i}` });
  for (let i = 0; i < 8; i++) assert.equal((await fun.next(0)).text, `line ${i}`);
  // 8 frames after a burst of 2 (the join took one) at 20 a second: at least 0.25 s.
  assert.ok(Date.now() - started >= 250, `took ${Date.now() - started} ms`);
});

Deno.test("§Avatars: the avatars of users who left come after the active users', most recent last", async () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  await using server = await startServer();
  for (const name of ["Old", "Newer"]) {
    await using client = await RawClient.connect(server.port);
    await client.send({ flags: F.JOIN_REQUEST, username: name, filename: "me.png", payload: png });
    await client.next(F.JOIN_ACCEPT);
    await client.send({ payload: `${name} was here` });
    await client.next(0);
    await client.send({ flags: F.QUIT_REQUEST });
    await client.next(F.QUIT_ACCEPT);
  }
  await using stay = await RawClient.connect(server.port);
  await stay.send({ flags: F.JOIN_REQUEST, username: "Stay", filename: "me.png", payload: png });
  await stay.next(F.JOIN_ACCEPT);
  const avatars = [];
  for (;;) {
    const frame = await stay.frame();
    if (frame.flags !== F.AVATAR) break;
    avatars.push(frame.username);
  }
  assert.deepEqual(avatars, ["Stay", "Old", "Newer"]);
});
