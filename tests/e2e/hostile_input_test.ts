/**
 * Bad input against a real server on a real socket. After each attack the
 * bystanders' conversation must be intact and the room healthy (see
 * `support/bystanders.ts`): a clear error, nothing lost, nobody else disturbed.
 */
import assert from "node:assert/strict";
import { CODE, codeName } from "../../lib/shared/wire/protocol_error.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { type Frame } from "../../lib/shared/wire/frame.ts";
import { MAGIC_0, MAGIC_1 } from "../../lib/shared/wire/layout.ts";
import { startServer, TestClient, text, until } from "../support/harness.ts";
import { Bystanders, sendRaw } from "../support/bystanders.ts";

/** A seeded generator, so a failure can be replayed (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bytes(n: number, next: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

function errorCode(frames: Frame[]): string {
  const error = frames.find((f) => hasFlag(f, FLAG.ERROR));
  return error ? codeName(error.code) : "no ERROR frame";
}

Deno.test("random bytes get an ERROR and a closed connection; the room carries on", async (t) => {
  await using srv = await startServer();
  await using people = await Bystanders.start(srv.port);
  for (const seed of [1, 2, 3, 4, 5]) {
    await t.step(`seed ${seed}`, async () => {
      const next = random(seed);
      const garbage = bytes(1 + Math.floor(next() * 4096), next);
      // Half the seeds pass the magic and version checks, to reach the deeper ones.
      if (seed % 2 === 0) garbage.set([MAGIC_0, MAGIC_1, 1, 0]);
      const { frames, closed } = await sendRaw(srv.port, garbage, 2000);
      // Garbage that happens to decode as a valid frame is still answered; never crashes.
      if (closed) assert.ok(frames.some((f) => hasFlag(f, FLAG.ERROR)), errorCode(frames));
      await people.exchange(`after seed ${seed}`);
    });
  }
  await people.assertHealthy(srv.dir);
});

Deno.test("a valid header with a huge length is refused before a byte of it is buffered", async (t) => {
  await using srv = await startServer({ stallTimeoutMs: 300, maxUsers: 10 });
  await using people = await Bystanders.start(srv.port);
  for (const length of [2 ** 40, Number.MAX_SAFE_INTEGER]) {
    await t.step(`chat frame claiming ${length} bytes`, async () => {
      const header = encodeFrame({ payloadLength: length });
      const { frames, closed } = await sendRaw(srv.port, header);
      assert.ok(closed);
      assert.equal(errorCode(frames), "PAYLOAD_TOO_LARGE");
      assert.match(text(frames[0]), new RegExp(`payload length ${length} exceeds the limit`));
    });
  }
  await t.step("length field beyond 2^53", async () => {
    const header = encodeFrame({ payload: "x" });
    new DataView(header.buffer, header.byteOffset).setBigUint64(20, 2n ** 63n);
    const { frames } = await sendRaw(srv.port, header.subarray(0, header.length - 1));
    assert.equal(errorCode(frames), "PAYLOAD_TOO_LARGE");
  });
  await t.step(
    "an attachment claiming 1 PiB from a joined user: refused to them only, and closed",
    async () => {
      await using mallory = await TestClient.join(srv.port, "Mallory");
      mallory.send({
        flags: FLAG.ATTACHMENT,
        filename: "huge.bin",
        sha256: new Uint8Array(32),
        payloadLength: 2 ** 50,
      });
      const refusal = await mallory.next((f) => hasFlag(f, FLAG.ERROR));
      assert.equal(refusal.code, CODE.ATTACHMENT_TOO_LARGE);
      // The server will not read a petabyte to skip it: the connection is closed.
      await mallory.closed;
      assert.equal(mallory.frames.filter((f) => hasFlag(f, FLAG.ERROR)).length, 1);
      await people.fun.nextText("Mallory left the chatroom.");
      assert.ok(!people.fun.frames.some((f) => hasFlag(f, FLAG.ERROR)));
    },
  );
  await people.assertHealthy(srv.dir);
});

Deno.test("a frame cut short then silence is dropped after the stall timeout; idle users never are", async (t) => {
  await using srv = await startServer({ stallTimeoutMs: 300, maxUsers: 10 });
  await using people = await Bystanders.start(srv.port);
  await using idleAtMenu = await TestClient.connect(srv.port);
  await using idleInRoom = await TestClient.join(srv.port, "Idle");
  const chat = encodeFrame({ payload: "this line is never finished" });
  const attachment = encodeFrame({
    flags: FLAG.ATTACHMENT,
    filename: "half.txt",
    sha256: new Uint8Array(32),
    payload: "0123456789".repeat(1000),
  });
  const cuts: [string, Uint8Array][] = [
    ["two bytes of a header", chat.subarray(0, 2)],
    ["a whole header, half a payload", chat.subarray(0, chat.length - 10)],
    ["half an attachment (not joined)", attachment.subarray(0, 5000)],
  ];
  for (const [name, part] of cuts) {
    await t.step(name, async () => {
      const started = Date.now();
      const { frames, closed } = await sendRaw(srv.port, part);
      assert.ok(closed);
      // The unjoined upload is first told NOT_JOINED; the stall then ends it either way.
      assert.equal(errorCode(frames.slice(-1)), "TIMEOUT");
      assert.ok(Date.now() - started >= 250, "not before the timeout");
    });
  }
  await t.step("half an attachment from a joined user leaves no file", async () => {
    await using mallory = await TestClient.join(srv.port, "Mallory");
    await mallory.sendRaw(attachment.subarray(0, 5000));
    await mallory.closed;
    assert.equal(errorCode(mallory.frames), "TIMEOUT");
    await people.fun.nextText("Mallory left the chatroom.");
    const names = [];
    for await (const e of Deno.readDir(srv.downloads)) names.push(e.name);
    assert.deepEqual(names, [], "no partial or temporary file");
  });
  await t.step("users idle for many stall timeouts are still there", async () => {
    await new Promise((r) => setTimeout(r, 1000));
    idleAtMenu.send({ flags: FLAG.REPORT_REQUEST });
    const report = await idleAtMenu.next((f) => hasFlag(f, FLAG.REPORT_RESPONSE));
    assert.equal(report.number, 3);
    idleInRoom.say("still here");
    await people.fun.nextText("still here");
  });
  await people.assertHealthy(srv.dir);
});

Deno.test("hostile usernames are rejected with a reason; the connection may try again", async (t) => {
  await using srv = await startServer({ maxUsers: 10 });
  await using people = await Bystanders.start(srv.port);
  const names: [string, string][] = [
    ["empty", ""],
    ["only spaces", "    "],
    ["33 characters", "x".repeat(33)],
    ["64 bytes", "y".repeat(64)],
    ["a control character", "Co\u0007ol"],
    ["an ANSI escape", "\x1b[31mRed\x1b[0m"],
    ["a C1 control", "C1\u009bx"],
    ["a bidi override", "\u202eloof"],
    ["a zero-width space", "Fu\u200bn"],
    ["Server", "Server"],
    ["server", "server"],
    ["fullwidth ＳＥＲＶＥＲ", "ＳＥＲＶＥＲ"],
  ];
  await using mallory = await TestClient.connect(srv.port);
  for (const [what, name] of names) {
    await t.step(what, async () => {
      mallory.send({ flags: FLAG.JOIN_REQUEST, username: name });
      const reject = await mallory.next((f) => hasFlag(f, FLAG.JOIN_REJECT));
      assert.equal(reject.code, CODE.INVALID_USERNAME);
      assert.match(
        text(reject),
        /^The server rejects the join request\. The username is not allowed: /,
      );
    });
  }
  await t.step("longer than the 64-byte field: a protocol error, then closed", async () => {
    const frame = encodeFrame({ flags: FLAG.JOIN_REQUEST, username: "z" });
    const raw = new Uint8Array(frame.length + 199);
    raw.set(frame.subarray(0, 33));
    raw[28] = 200;
    raw.fill(0x7a, 33);
    const { frames, closed } = await sendRaw(srv.port, raw);
    assert.ok(closed);
    assert.equal(errorCode(frames), "BAD_HEADER");
  });
  await t.step("after all that, a good name joins", async () => {
    mallory.send({ flags: FLAG.JOIN_REQUEST, username: "Mallory" });
    await mallory.next((f) => hasFlag(f, FLAG.JOIN_ACCEPT));
  });
  assert.ok(!people.fun.frames.some((f) => /Red|loof|erver joined/.test(text(f))));
  await people.assertHealthy(srv.dir);
});

Deno.test("messages before joining and a second join are refused; nothing reaches the room", async () => {
  await using srv = await startServer({ maxUsers: 10 });
  await using people = await Bystanders.start(srv.port);
  await using mallory = await TestClient.connect(srv.port);
  mallory.say("let me in");
  assert.equal((await mallory.next((f) => hasFlag(f, FLAG.ERROR))).code, CODE.NOT_JOINED);
  mallory.send({ flags: FLAG.QUIT_REQUEST });
  assert.equal((await mallory.next((f) => hasFlag(f, FLAG.ERROR))).code, CODE.NOT_JOINED);
  mallory.send({ flags: FLAG.JOIN_REQUEST, username: "Mallory" });
  await mallory.next((f) => hasFlag(f, FLAG.JOIN_ACCEPT));
  mallory.send({ flags: FLAG.JOIN_REQUEST, username: "Mallory2" });
  const again = await mallory.next((f) => hasFlag(f, FLAG.ERROR));
  assert.equal(again.code, CODE.ALREADY_JOINED);
  assert.equal(text(again), "You are already in the chatroom as Mallory.");
  mallory.say("still Mallory");
  const line = await people.fun.nextText("still Mallory");
  assert.equal(line.sender, "Mallory");
  assert.equal(srv.server.room.members.filter((m) => m.username.startsWith("Mallory")).length, 1);
  assert.ok(!people.fun.frames.some((f) => /let me in|Mallory2/.test(text(f))));
  await people.assertHealthy(srv.dir);
});

Deno.test("hostile attachment names are stored under a safe name inside downloads/ only", async (t) => {
  await using srv = await startServer();
  await using people = await Bystanders.start(srv.port);
  const source = `${srv.dir}/payload.txt`;
  await Deno.writeTextFile(source, "harmless");
  const cases: [string, string][] = [
    ["../../escape.txt", "escape.txt"],
    ["/etc/passwd", "passwd"],
    ["C:\\Windows\\System32\\evil.dll", "evil.dll"],
    ["\\\\server\\share\\unc.txt", "unc.txt"],
    ["D:drive.txt", "drive.txt"],
    ["nul\u0000byte.txt", "nul_byte.txt"],
    ["CON", "_CON"],
    ["nul.txt", "_nul.txt"],
    ["COM1.log", "_COM1.log"],
    ["\x1b[2Jclear.txt", "_[2Jclear.txt"],
    ["\u202etxt.exe", "_txt.exe"],
    ["..", "attachment"],
    ["n".repeat(1000) + ".txt", "n".repeat(96) + ".txt"],
    ["dup.txt", "dup.txt"],
    ["dup.txt", "dup (2).txt"],
  ];
  const expected: string[] = [];
  for (const [name, safe] of cases) {
    await t.step(JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}…` : name), async () => {
      await people.cool.upload(source, name);
      const relayed = await people.fun.next((f) => hasFlag(f, FLAG.ATTACHMENT));
      assert.equal(text(relayed), "harmless");
      assert.equal(relayed.filename, safe.replace(/ \(2\)/, ""));
      assert.equal(await Deno.readTextFile(`${srv.downloads}/${safe}`), "harmless");
      expected.push(safe);
    });
  }
  await t.step(
    "a 10,000-character name does not fit the header: protocol error, closed",
    async () => {
      const header = encodeFrame({ flags: FLAG.ATTACHMENT, filename: "f", payloadLength: 0 });
      const raw = new Uint8Array(header.length + 9_999);
      raw.set(header.subarray(0, 33));
      new DataView(raw.buffer).setUint16(30, 10_000);
      raw.fill(0x66, 33);
      const { frames } = await sendRaw(srv.port, raw);
      assert.equal(errorCode(frames), "BAD_HEADER");
      assert.match(text(frames[0]), /FILENAME length 10000 exceeds the limit of 1024 bytes/);
    },
  );
  const stored = [];
  for await (const e of Deno.readDir(srv.downloads)) stored.push(e.name);
  assert.deepEqual(stored.sort(), [...new Set(expected)].sort());
  const outside = [];
  for await (const e of Deno.readDir(srv.dir)) outside.push(e.name);
  assert.deepEqual(outside.sort(), ["downloads", "payload.txt"]);
  await people.assertHealthy(srv.dir);
});

Deno.test("an attachment over --max-attachment is refused to the sender only, who is disconnected", async () => {
  await using srv = await startServer({ maxAttachment: 1000, maxUsers: 10 });
  await using people = await Bystanders.start(srv.port);
  await using mallory = await TestClient.join(srv.port, "Mallory");
  const big = `${srv.dir}/big.bin`;
  await Deno.writeFile(big, new Uint8Array(5000));
  await mallory.upload(big);
  const error = await mallory.next((f) => hasFlag(f, FLAG.ERROR));
  assert.equal(error.code, CODE.ATTACHMENT_TOO_LARGE);
  await mallory.closed;
  await people.fun.nextText("Mallory left the chatroom.");
  await people.exchange("after the refusal");
  assert.ok(!people.fun.frames.some((f) => hasFlag(f, FLAG.ERROR) || hasFlag(f, FLAG.ATTACHMENT)));
  assert.equal(srv.server.room.members.length, 2);
  await people.assertHealthy(srv.dir);
});

Deno.test("an upload cut off mid-way leaves no file, and its sender is announced as left", async () => {
  await using srv = await startServer({ maxUsers: 10 });
  await using people = await Bystanders.start(srv.port);
  await using mallory = await TestClient.join(srv.port, "Mallory");
  const frame = encodeFrame({
    flags: FLAG.ATTACHMENT,
    filename: "cut.bin",
    sha256: new Uint8Array(32),
    payload: new Uint8Array(1_000_000).fill(7),
  });
  await mallory.sendRaw(frame.subarray(0, 600_000));
  await srv.waitForLog("Receiving attachment cut.bin");
  await mallory.close();
  await people.fun.nextText("Mallory left the chatroom.");
  await until(() => srv.server.connections === 2, "Mallory's connection is gone");
  const names = [];
  for await (const e of Deno.readDir(srv.downloads)) names.push(e.name);
  assert.deepEqual(names, []);
  await people.assertHealthy(srv.dir);
});
