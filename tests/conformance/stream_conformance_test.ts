/**
 * docs/PROTOCOL.md's §Attachments as they arrive against a real server,
 * with hand-built frames over raw sockets: BEGIN, DATA and END, DISCARD,
 * who gets the classic frame instead, and a receiver that stops reading.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { F, joined, type RawClient, type ReadFrame, sha256, uploadHeader } from "./raw_wire.ts";
import { randomBytes } from "../support/random_bytes.ts";

/** JOIN_REQUEST NUMBER bits of §Joining: ECHO and STREAM. */
const ECHO = 1;
const STREAM = 2;
const MAX_STREAM_CHUNK = 262_144;

/** The file size a BEGIN frame's 8-byte payload gives. */
function beginSize(begin: ReadFrame): bigint {
  return new DataView(begin.payload.buffer, begin.payload.byteOffset, 8).getBigUint64(0);
}

/** Reads one transfer (from its BEGIN on) until END or DISCARD; frames of others are kept aside. */
async function readTransfer(client: RawClient, timeoutMs = 10_000) {
  const begin = await client.next(F.STREAM, timeoutMs);
  assert.equal(begin.flags, F.ATTACHMENT | F.STREAM, "a transfer starts with BEGIN");
  const data: ReadFrame[] = [];
  const others: ReadFrame[] = [];
  for (;;) {
    const frame = await client.frame(timeoutMs);
    if (!(frame.flags & F.STREAM)) {
      others.push(frame);
      continue;
    }
    assert.equal(frame.number, begin.number, "every frame of the transfer has its NUMBER");
    if (frame.flags === F.STREAM && frame.payloadLength > 0n) data.push(frame);
    else return { begin, data, last: frame, others, bytes: joinPayloads(data) };
  }
}

function joinPayloads(frames: ReadFrame[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.payload.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f.payload, at);
    at += f.payload.length;
  }
  return out;
}

Deno.test("§Attachments as they arrive: BEGIN, DATA and END carry the contract's fields and the file's bytes", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun", STREAM);
  await using fire = await joined(server.port, "Fire", ECHO);
  const bytes = randomBytes(600_000);
  const digest = await sha256(bytes);
  const before = Date.now();
  await fire.send(await uploadHeader("dir/big.bin", bytes));
  await fire.send(bytes);
  const { begin, data, last: end, bytes: got } = await readTransfer(fun);

  assert.deepEqual([...begin.fixed.subarray(4, 6)], [0x41, 0x00], "FLAGS ATTACHMENT|STREAM");
  assert.notEqual(begin.number, 0);
  assert.equal(begin.sender, "Fire");
  assert.equal(begin.filename, "big.bin");
  assert.deepEqual(begin.sha256, digest);
  assert.ok(Number(begin.timestamp) >= before - 1000);
  assert.equal(begin.payloadLength, 8n);
  assert.equal(beginSize(begin), 600_000n);

  assert.ok(data.length >= 3, `600,000 bytes in ${data.length} DATA frames`);
  for (const frame of data) {
    assert.deepEqual([...frame.fixed.subarray(4, 6)], [0x40, 0x00], "FLAGS STREAM");
    assert.ok(frame.payload.length >= 1 && frame.payload.length <= MAX_STREAM_CHUNK);
  }
  assert.deepEqual(got, bytes, "the DATA payloads, in order, are the file");

  assert.equal(end.flags, F.STREAM);
  assert.equal(end.payloadLength, 0n);
  assert.equal(end.code, 0);
  assert.equal(end.sender, "Fire");
  assert.equal(end.filename, "big.bin");
  assert.deepEqual(end.sha256, digest);
  assert.ok(end.timestamp >= begin.timestamp, "END has the history record's time");
  const echo = await fire.next(F.ECHO);
  assert.equal(echo.timestamp, end.timestamp, "the same record as the uploader's ECHO");
  assert.equal([...Deno.readDirSync(server.downloads)].length, 1, "the file is stored");
});

Deno.test("§Attachments as they arrive: the first DATA reaches a receiver before the upload is complete", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun", STREAM);
  await using fire = await joined(server.port, "Fire", ECHO);
  const bytes = randomBytes(1024 * 1024);
  await fire.send(await uploadHeader("early.bin", bytes));
  await fire.send(bytes.subarray(0, bytes.length - 1000));
  const begin = await fun.next(F.STREAM);
  const first = await fun.frame();
  assert.equal(first.flags, F.STREAM);
  assert.equal(first.number, begin.number);
  assert.deepEqual(first.payload, bytes.subarray(0, first.payload.length));
  // Only now, with DATA seen, does the rest of the file leave the uploader.
  await fire.send(bytes.subarray(bytes.length - 1000));
  for (;;) {
    const frame = await fun.next(F.STREAM);
    if (frame.payloadLength === 0n) break;
  }
});

Deno.test("§Attachments as they arrive: a chat line sent during an upload reaches a STREAM receiver before END", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun", STREAM);
  await using cool = await joined(server.port, "Cool");
  await using fire = await joined(server.port, "Fire", ECHO);
  const bytes = randomBytes(1024 * 1024);
  await fire.send(await uploadHeader("slow.bin", bytes));
  await fire.send(bytes.subarray(0, 600_000));
  await fun.next(F.STREAM); // BEGIN
  await fun.next(F.STREAM); // DATA: the upload is under way
  await cool.send({ payload: "while it uploads" });
  let chat: ReadFrame | undefined;
  while (!chat) {
    const frame = await fun.frame();
    if (frame.flags === 0) chat = frame;
    else assert.notEqual(frame.payloadLength, 0n, "no END before the upload is complete");
  }
  assert.equal(chat.text, "while it uploads");
  await fire.send(bytes.subarray(600_000));
  for (;;) {
    const frame = await fun.next(F.STREAM);
    if (frame.payloadLength === 0n) break;
  }
});

Deno.test("§Attachments as they arrive: an upload cut off mid-payload is DISCARDed (code 16), with no record and no file", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun", STREAM);
  const fire = await joined(server.port, "Fire", ECHO);
  const bytes = randomBytes(1024 * 1024);
  await fire.send(await uploadHeader("cut.bin", bytes));
  await fire.send(bytes.subarray(0, 300_000));
  const begin = await fun.next(F.STREAM);
  await fun.next(F.STREAM); // DATA
  await fire[Symbol.asyncDispose]();
  const discard = await fun.next(F.ERROR);
  assert.equal(discard.flags, F.STREAM | F.ERROR);
  assert.equal(discard.code, 16);
  assert.equal(discard.number, begin.number);
  assert.match(discard.text, /^Fire's upload of cut\.bin broke off after .* of 1.0 MiB\.$/);
  assert.deepEqual([...Deno.readDirSync(server.downloads)], [], "nothing in downloads/");
  await using late = await joined(server.port, "Late");
  // Fun's join, Fire's join and leave, Late's join: no attachment in the history.
  await late.send({ payload: "after" });
  for (;;) {
    const frame = await late.frame();
    assert.equal(frame.flags & F.ATTACHMENT, 0, "no history entry for the broken upload");
    if (frame.flags === 0 && frame.text === "after") break;
  }
});

Deno.test("§Attachments as they arrive: an uploader dropped mid-upload for not reading is DISCARDed, saying how much arrived", async () => {
  // Fire uploads part of a file and never reads; Fun's long lines (echoed to Fun, who reads
  // everything) fill Fire's queue until the server drops Fire, closing its connection under
  // the upload's pending read.
  await using server = await startServer({ rateLimit: false, maxQueueBytes: 256 * 1024 });
  await using fun = await joined(server.port, "Fun", STREAM | ECHO);
  const fire = await joined(server.port, "Fire");
  try {
    const bytes = randomBytes(1024 * 1024);
    await fire.send(await uploadHeader("dropped.bin", bytes));
    await fire.send(bytes.subarray(0, 300_000));
    const big = "z".repeat(60_000);
    let discard: ReadFrame | undefined;
    for (let i = 0; i < 400 && !discard; i++) {
      await fun.send({ payload: `${i} ${big}` });
      for (;;) {
        const frame = await fun.frame();
        if (frame.flags === (F.STREAM | F.ERROR)) discard = frame;
        if (discard || (frame.flags === 0 && frame.text.startsWith(`${i} `))) break;
      }
    }
    assert.ok(discard, "Fire was never dropped");
    assert.equal(discard.code, 16);
    assert.match(
      discard.text,
      /^Fire's upload of dropped\.bin broke off after [\d.]+ KiB of 1\.0 MiB\.$/,
    );
    assert.deepEqual([...Deno.readDirSync(server.downloads)], [], "nothing in downloads/");
  } finally {
    await fire[Symbol.asyncDispose]();
  }
});

Deno.test("§Attachments as they arrive: an upload whose digest does not match is DISCARDed", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun", STREAM);
  await using fire = await joined(server.port, "Fire", ECHO);
  const bytes = randomBytes(400_000);
  await fire.send(await uploadHeader("bad.bin", bytes, new Uint8Array(32).fill(7)));
  await fire.send(bytes);
  const { begin, last } = await readTransfer(fun);
  assert.equal(last.flags, F.STREAM | F.ERROR);
  assert.equal(last.code, 16);
  assert.equal(last.number, begin.number);
  assert.match(last.text, /damaged/);
  assert.equal((await fire.next(F.ERROR)).code, 7, "the uploader hears ATTACHMENT_HASH_MISMATCH");
  assert.deepEqual([...Deno.readDirSync(server.downloads)], []);
});

Deno.test("§Attachments as they arrive: a member who did not ask for STREAM gets the classic frame once stored", async () => {
  await using server = await startServer();
  await using cool = await joined(server.port, "Cool");
  await using fire = await joined(server.port, "Fire", ECHO);
  const bytes = randomBytes(300_000);
  await fire.send(await uploadHeader("classic.bin", bytes));
  await fire.send(bytes);
  const frame = await cool.next(F.ATTACHMENT | F.STREAM);
  assert.equal(frame.flags, F.ATTACHMENT);
  assert.equal(frame.sender, "Fire");
  assert.deepEqual(frame.payload, bytes);
});

Deno.test("§Attachments as they arrive: a member who joins during the upload gets the classic frame", async () => {
  await using server = await startServer();
  await using fun = await joined(server.port, "Fun", STREAM);
  await using fire = await joined(server.port, "Fire", ECHO);
  const bytes = randomBytes(1024 * 1024);
  await fire.send(await uploadHeader("joined.bin", bytes));
  await fire.send(bytes.subarray(0, 600_000));
  await fun.next(F.STREAM); // BEGIN: the upload has started
  await using late = await joined(server.port, "Late", STREAM);
  await fire.send(bytes.subarray(600_000));
  const frame = await late.next(F.ATTACHMENT | F.STREAM);
  assert.equal(frame.flags, F.ATTACHMENT, "the whole frame, not a transfer");
  assert.deepEqual(frame.payload, bytes);
});

Deno.test("§Attachments as they arrive: a receiver that stops reading slows neither the uploader nor another receiver, then gets the rest from the file and END", async () => {
  const size = 32 * 1024 * 1024;
  await using server = await startServer({ maxAttachment: size });
  await using slow = await joined(server.port, "Slow", STREAM);
  await using fast = await joined(server.port, "Fast", STREAM);
  await using fire = await joined(server.port, "Fire", ECHO);
  const bytes = randomBytes(size);
  const digest = await sha256(bytes);
  // Slow reads nothing until the upload is stored and Fast has all of it.
  await fire.send(await uploadHeader("big.bin", bytes));
  const [fastGot] = await Promise.all([readTransfer(fast), fire.send(bytes)]);
  assert.equal(fastGot.last.flags, F.STREAM, "Fast got END");
  assert.deepEqual(fastGot.bytes.length, size);
  assert.ok((await fire.next(F.ECHO)).timestamp > 0n, "the upload was stored and recorded");
  await server.waitForLog(/behind on transfer \d+ at byte \d+/);
  const slowGot = await readTransfer(slow);
  assert.equal(slowGot.last.flags, F.STREAM, `Slow got END too, not ${slowGot.last.text}`);
  assert.equal(slowGot.bytes.length, size);
  assert.deepEqual(await sha256(new Uint8Array(slowGot.bytes)), digest);
});

Deno.test("§Attachments as they arrive: a receiver with 8 transfers open gets a ninth upload as the classic frame", async () => {
  await using server = await startServer({ maxUsers: 10 });
  await using fun = await joined(server.port, "Fun", STREAM);
  const uploaders: RawClient[] = [];
  try {
    for (let i = 1; i <= 9; i++) uploaders.push(await joined(server.port, `Up${i}`, ECHO));
    const bytes = randomBytes(300_000);
    const header = await uploadHeader("part.bin", bytes);
    // Eight uploads stay open: all but their last bytes are sent.
    for (const up of uploaders.slice(0, 8)) {
      await up.send(header);
      await up.send(bytes.subarray(0, 1000));
    }
    const open = new Set<number>();
    while (open.size < 8) {
      const frame = await fun.next(F.STREAM);
      if (frame.flags === (F.ATTACHMENT | F.STREAM)) open.add(frame.number);
    }
    await uploaders[8].send(header);
    await uploaders[8].send(bytes);
    const ninth = await fun.next(F.ATTACHMENT);
    assert.equal(ninth.flags, F.ATTACHMENT, "the classic frame, not a ninth BEGIN");
    assert.equal(ninth.sender, "Up9");
    assert.deepEqual(ninth.payload, bytes);
    for (const up of uploaders.slice(0, 8)) await up.send(bytes.subarray(1000));
    const ended = new Set<number>();
    while (ended.size < 8) {
      const frame = await fun.next(F.STREAM);
      assert.ok(open.has(frame.number));
      if (frame.payloadLength === 0n) ended.add(frame.number);
    }
  } finally {
    for (const up of uploaders) await up[Symbol.asyncDispose]();
  }
});
