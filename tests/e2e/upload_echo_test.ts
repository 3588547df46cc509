import assert from "node:assert/strict";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { FLAG, JOIN_OPTION } from "../../lib/shared/wire/flags.ts";
import { toHex } from "../../lib/shared/wire/wire_bytes.ts";
import { hashFile } from "../../lib/shared/files/read_file.ts";
import { saveOwnUpload } from "../../lib/client/attachment_streams.ts";
import { startServer, TestClient, text } from "../support/harness.ts";
import { SessionUser } from "../support/session_user.ts";
import { randomBytes } from "../support/random_bytes.ts";

const MiB = 1024 * 1024;

async function randomFile(path: string, size: number): Promise<Uint8Array> {
  const bytes = randomBytes(size);
  await Deno.writeFile(path, bytes);
  return bytes;
}

async function filesIn(dir: string): Promise<string[]> {
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("an uploader who asked for echoes gets an ECHO header without the file's bytes; the others get the file", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool", JOIN_OPTION.ECHO);
  await using fun = await TestClient.join(srv.port, "Fun");
  const source = `${srv.dir}/big.bin`;
  const bytes = await randomFile(source, 3 * MiB);
  const { sha256 } = await hashFile(source);
  await cool.upload(source, "attachments/big.bin");

  const relayed = await fun.next((f) => hasAttachment(f.flags));
  assert.equal(relayed.flags, FLAG.ATTACHMENT);
  assert.equal(relayed.payloadLength, bytes.length);
  assert.deepEqual(relayed.payload, bytes);

  const echo = await cool.next((f) => hasAttachment(f.flags));
  assert.equal(echo.flags, FLAG.ATTACHMENT | FLAG.ECHO);
  assert.equal(echo.payloadLength, 0);
  assert.equal(echo.payload.length, 0);
  assert.equal(echo.sender, "Cool");
  assert.equal(echo.filename, "big.bin");
  assert.equal(toHex(echo.sha256), toHex(sha256));
  assert.equal(echo.timestamp, relayed.timestamp);

  // Nothing else follows the echo: the next frame is the next line.
  fun.say("got it");
  const next = await cool.next(() => true);
  assert.equal(text(next), "got it");
  // The server keeps its copy and records it once.
  assert.deepEqual(await Deno.readFile(`${srv.downloads}/big.bin`), bytes);
  const kinds = srv.server.room.history.list().map((e) => e.kind);
  assert.deepEqual(kinds, ["join", "join", "attachment", "chat"]);
  assert.ok(
    srv.log.some((l) => /big\.bin .*forwarding to 1 other user\(s\)$/.test(l)),
    srv.log.join("\n"),
  );
});

Deno.test("a session saves its own upload from the file it sent when the server echoes it", async () => {
  await using srv = await startServer();
  const cool = new SessionUser(srv.port, `${srv.dir}/cool-downloads`);
  const fun = new SessionUser(srv.port, `${srv.dir}/fun-downloads`);
  await using _cool = cool;
  await using _fun = fun;
  assert.equal((await cool.session.join("Cool")).accepted, true);
  assert.equal((await fun.session.join("Fun")).accepted, true);
  const source = `${srv.dir}/photo.bin`;
  const bytes = await randomFile(source, MiB + 17);

  await cool.session.upload(source, { filename: "attachments/photo.bin" });
  for (const user of [cool, fun]) {
    await user.waitFor((e) => e.type === "attachment");
    const event = user.events.find((e) => e.type === "attachment")!;
    assert.ok(event.type === "attachment");
    assert.equal(event.sender, "Cool");
    assert.equal(event.filename, "photo.bin");
    assert.equal(event.size, bytes.length);
    assert.ok(!("error" in event.file), `no error expected, got ${JSON.stringify(event.file)}`);
    assert.equal(event.file.path, `${user.downloads}/photo.bin`);
    assert.deepEqual(await Deno.readFile(`${user.downloads}/photo.bin`), bytes);
  }
  // The uploader was sent a header, not the megabyte back.
  const attachmentsReceived = (user: SessionUser) =>
    user.trace.filter((line) => line.includes("← ") && line.includes("ATTACHMENT_FLAG=1"));
  const [echoed, ...moreToCool] = attachmentsReceived(cool);
  assert.equal(moreToCool.length, 0);
  assert.match(echoed, /PAYLOAD_LENGTH=0 .*extra=ECHO/);
  // Fun, who joined with STREAM, got it as a transfer: BEGIN (the size in 8 bytes), then DATA
  // frames carrying every byte, then an empty END.
  const [relayed, ...moreToFun] = attachmentsReceived(fun);
  assert.equal(moreToFun.length, 0);
  assert.match(relayed, /PAYLOAD_LENGTH=8 .*extra=\S*STREAM/);
  assert.doesNotMatch(relayed, /ECHO/);
  const pieces = fun.trace
    .filter((line) => line.includes("← ") && /ATTACHMENT_FLAG=0 .*extra=\S*STREAM/.test(line))
    .map((line) => Number(/PAYLOAD_LENGTH=(\d+) /.exec(line)![1]));
  assert.equal(pieces.at(-1), 0, "the transfer ends with an empty END");
  assert.equal(pieces.reduce((a, b) => a + b, 0), bytes.length);
  // No temporary file is left behind in either folder.
  assert.deepEqual(await filesIn(cool.downloads), ["photo.bin"]);
  assert.deepEqual(await filesIn(fun.downloads), ["photo.bin"]);

  // A rejoining uploader is sent the file itself, like anyone joining.
  await cool.session.quit();
  await Deno.remove(`${cool.downloads}/photo.bin`);
  const before = cool.events.length;
  assert.equal((await cool.session.join("Cool")).accepted, true);
  await cool.waitFor((e) => e.type === "attachment" && e.history);
  const replayed = cool.events.slice(before).find((e) => e.type === "attachment");
  assert.ok(replayed?.type === "attachment" && !("error" in replayed.file));
  assert.deepEqual(await Deno.readFile(`${cool.downloads}/photo.bin`), bytes);
});

Deno.test("an uploader that did not ask for echoes (clients before them) gets its file back in full", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  const source = `${srv.dir}/old.bin`;
  const bytes = await randomFile(source, 300_000);
  await cool.upload(source, "old.bin");
  const back = await cool.next((f) => hasAttachment(f.flags));
  assert.equal(back.flags, FLAG.ATTACHMENT);
  assert.deepEqual(back.payload, bytes);
  assert.ok(
    srv.log.some((l) => l.endsWith("forwarding to 0 other user(s) and back to the sender")),
    srv.log.join("\n"),
  );
});

Deno.test("a client that sends the server's ECHO flag is refused and closed; the room carries on", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  await using mallory = await TestClient.join(srv.port, "Mallory");
  mallory.send({
    flags: FLAG.ATTACHMENT | FLAG.ECHO,
    filename: "x.txt",
    sha256: new Uint8Array(32),
    payload: "forged",
  });
  const error = await mallory.next((f) => (f.flags & FLAG.ERROR) !== 0);
  assert.equal(error.code, CODE.BAD_FRAME);
  assert.match(text(error), /ECHO \(0x2000\) is sent by the server only/);
  await mallory.closed;
  await cool.nextText("Mallory left the chatroom.");
  assert.deepEqual(await filesIn(srv.downloads), []);
  cool.say("still here");
  await cool.nextText("still here");
});

Deno.test("a refused upload whose file changed later is passed over when a later upload of the same bytes is confirmed", async () => {
  await using srv = await startServer();
  const cool = new SessionUser(srv.port, `${srv.dir}/cool-downloads`);
  await using _cool = cool;
  const first = `${srv.dir}/first.txt`;
  const second = `${srv.dir}/second.txt`;
  await Deno.writeTextFile(first, "same bytes");
  await Deno.writeTextFile(second, "same bytes");
  // Connected but not joined: the server refuses the upload (NOT_JOINED), never to confirm it.
  await cool.session.report();
  await cool.session.upload(first, { filename: "first.txt" });
  await cool.waitFor((e) => e.type === "error" && e.code === CODE.NOT_JOINED);
  await Deno.writeTextFile(first, "edited since");
  assert.equal((await cool.session.join("Cool")).accepted, true);
  await cool.session.upload(second, { filename: "second.txt" });
  await cool.waitFor((e) => e.type === "attachment");
  const event = cool.events.find((e) => e.type === "attachment");
  assert.ok(event?.type === "attachment");
  assert.ok(!("error" in event.file), `no error expected, got ${JSON.stringify(event.file)}`);
  assert.equal(event.size, 10);
  assert.equal(await Deno.readTextFile(`${cool.downloads}/second.txt`), "same bytes");
});

Deno.test("a file changed after it was sent is not saved as the room's copy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-echo-" });
  try {
    const source = `${dir}/note.txt`;
    await Deno.writeTextFile(source, "as sent");
    const sent = await hashFile(source);
    await Deno.writeTextFile(source, "edited!");
    const header = {
      flags: FLAG.ATTACHMENT | FLAG.ECHO,
      code: 0,
      number: 0,
      timestamp: Date.now(),
      username: "",
      sender: "Cool",
      filename: "note.txt",
      sha256: sent.sha256,
      payloadLength: 0,
    };
    const saved = await saveOwnUpload(source, sent.size, header, {
      downloadsDir: `${dir}/downloads`,
      keepHead: 1024,
    });
    assert.ok("error" in saved);
    assert.match(saved.error, /note\.txt changed after it was sent/);
    assert.deepEqual(await filesIn(`${dir}/downloads`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function hasAttachment(flags: number): boolean {
  return (flags & FLAG.ATTACHMENT) !== 0;
}
