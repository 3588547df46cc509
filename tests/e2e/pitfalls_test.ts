/**
 * The failures seen in published solutions of this assignment, each checked
 * against a real server on a real socket.
 */
import assert from "node:assert/strict";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { startServer, TestClient, text } from "../support/harness.ts";
import { SessionUser } from "../support/session_user.ts";

Deno.test("two chat frames arriving in one TCP segment are both delivered", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  const one = encodeFrame({ payload: "first" });
  const two = encodeFrame({ payload: "second" });
  const both = new Uint8Array(one.length + two.length);
  both.set(one);
  both.set(two, one.length);
  await cool.sendRaw(both);
  await cool.nextText("first");
  await cool.nextText("second");
});

Deno.test("a client that vanishes without quitting is announced as left and frees its name", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  const fire = await TestClient.join(srv.port, "Fire");
  await cool.nextText("Fire joined the chatroom.");
  await fire.close(); // no QUIT_REQUEST: as if the process were killed
  const left = await cool.nextText("Fire left the chatroom.");
  assert.equal(left.flags, FLAG.QUIT_ACCEPT);
  assert.equal(left.username, "Fire");
  await using again = await TestClient.join(srv.port, "Fire");
  assert.ok(again);
});

Deno.test("a quitting client's connection is closed and it receives nothing more", async () => {
  await using srv = await startServer();
  await using cool = new SessionUser(srv.port, `${srv.dir}/cool`);
  await using fire = new SessionUser(srv.port, `${srv.dir}/fire`);
  await cool.session.join("Cool");
  await fire.session.join("Fire");
  await fire.session.quit();
  await srv.waitForLog(/Connection #2 .* closed/);
  cool.session.say("Buy Fire.");
  await cool.waitForLine("Cool: Buy Fire.");
  assert.ok(!fire.lines.includes("Cool: Buy Fire."));
});

Deno.test("garbage gets a clear error and a closed connection; the room carries on", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  await using intruder = await TestClient.connect(srv.port);
  await intruder.sendRaw(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const error = await intruder.next((f) => f.flags === FLAG.ERROR);
  assert.equal(error.code, CODE.BAD_MAGIC);
  assert.match(text(error), /does not speak the chatroom protocol/);
  await intruder.closed;
  cool.say("still here");
  await cool.nextText("still here");
  assert.ok(srv.log.some((l) => /Protocol error from #2 .*BAD_MAGIC/.test(l)));
});

Deno.test("messages before joining are refused, not relayed", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  await using stranger = await TestClient.connect(srv.port);
  stranger.say("let me in");
  const error = await stranger.next((f) => f.flags === FLAG.ERROR);
  assert.equal(error.code, CODE.NOT_JOINED);
  cool.say("marker");
  await cool.nextText("marker");
  assert.ok(!cool.frames.some((f) => text(f) === "let me in"));
});

Deno.test("concurrent joins racing for the last seats never admit a fourth user", async () => {
  await using srv = await startServer();
  await using _cool = await TestClient.join(srv.port, "Cool");
  const racers = await Promise.all(
    Array.from({ length: 10 }, () => TestClient.connect(srv.port)),
  );
  try {
    racers.forEach((r, i) => r.send({ flags: FLAG.JOIN_REQUEST, username: `racer${i}` }));
    const replies = await Promise.all(
      racers.map((r) => r.next((f) => (f.flags & (FLAG.JOIN_ACCEPT | FLAG.JOIN_REJECT)) !== 0)),
    );
    assert.equal(replies.filter((f) => f.flags === FLAG.JOIN_ACCEPT).length, 2);
    assert.ok(
      replies.filter((f) => f.flags === FLAG.JOIN_REJECT).every((f) => f.code === CODE.ROOM_FULL),
    );
    assert.equal(srv.server.room.members.length, 3);
  } finally {
    await Promise.all(racers.map((r) => r.close()));
  }
});

Deno.test("an attachment named ../../escape.txt is stored inside downloads/", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  const source = `${srv.dir}/escape.txt`;
  await Deno.writeTextFile(source, "contained");
  await cool.upload(source, "../../escape.txt");
  const relayed = await cool.next((f) => f.flags === FLAG.ATTACHMENT);
  assert.equal(relayed.filename, "escape.txt");
  assert.equal(text(relayed), "contained");
  assert.equal(await Deno.readTextFile(`${srv.downloads}/escape.txt`), "contained");
  await assert.rejects(Deno.stat(`${srv.dir}/../escape.txt`), Deno.errors.NotFound);
});

Deno.test("an attachment whose hash does not match is refused and not stored", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  const body = new TextEncoder().encode("tampered");
  cool.send({
    flags: FLAG.ATTACHMENT,
    filename: "a.txt",
    sha256: new Uint8Array(32),
    payload: body,
  });
  const error = await cool.next((f) => f.flags === FLAG.ERROR);
  assert.equal(error.code, CODE.ATTACHMENT_HASH_MISMATCH);
  const names = [];
  for await (const e of Deno.readDir(srv.downloads)) names.push(e.name);
  assert.deepEqual(names, []);
  cool.say("still in");
  await cool.nextText("still in");
});

Deno.test("an attachment over the limit is refused to the sender only, whose connection is closed", async () => {
  await using srv = await startServer({ maxAttachment: 1000 });
  await using cool = await TestClient.join(srv.port, "Cool");
  await using fun = await TestClient.join(srv.port, "Fun");
  const source = `${srv.dir}/big.bin`;
  await Deno.writeFile(source, new Uint8Array(5000));
  await cool.upload(source);
  const error = await cool.next((f) => f.flags === FLAG.ERROR);
  assert.equal(error.code, CODE.ATTACHMENT_TOO_LARGE);
  assert.match(
    text(error),
    /Cannot accept big\.bin: it is 5000 bytes, over the server's limit of 1000 bytes; closing/,
  );
  await cool.closed;
  await fun.nextText("Cool left the chatroom.");
  assert.ok(!fun.frames.some((f) => f.flags === FLAG.ERROR || f.flags === FLAG.ATTACHMENT));
});

Deno.test("server --trace logs every frame received and sent with its fields", async () => {
  await using srv = await startServer({ trace: true });
  await using cool = await TestClient.join(srv.port, "Cool");
  cool.say("traced");
  await cool.nextText("traced");
  const recv = srv.log.filter((l) => l.startsWith("[trace] ←"));
  const sent = srv.log.filter((l) => l.startsWith("[trace] →"));
  assert.ok(recv.some((l) => / JOIN_REQUEST_FLAG=1 .* USERNAME="Cool" .* from=#1$/.test(l)));
  assert.ok(recv.some((l) => / PAYLOAD_LENGTH=6 PAYLOAD="traced" .*from=#1$/.test(l)));
  assert.ok(sent.some((l) => / JOIN_ACCEPT_FLAG=1 .* to=#1$/.test(l)));
  assert.ok(sent.some((l) => /PAYLOAD="traced" .*SENDER="Cool".* to=#1$/.test(l)));
});

Deno.test("a chat line that starts with U+FEFF reaches the others and the history as it was sent", async () => {
  await using srv = await startServer();
  const fun = new SessionUser(srv.port, `${srv.dir}/fun-downloads`);
  await using _fun = fun;
  assert.equal((await fun.session.join("Fun")).accepted, true);
  await using cool = await TestClient.join(srv.port, "Cool");
  const line = "\ufeffstarts with a byte-order mark";
  cool.say(line);
  await fun.waitFor((e) => e.type === "chat" && e.text === line);
  assert.equal(srv.server.room.history.list(1)[0].text, line);
});
