import assert from "node:assert/strict";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { ChatSession, type RoomEvent, type TransferProgress } from "../../lib/client/session.ts";
import { startServer, TestClient, text } from "../support/harness.ts";
import { Recorder } from "../support/recorder.ts";
import { makePng } from "../support/png.ts";
import { MAX_AVATAR_BYTES } from "../../lib/shared/avatar.ts";

/** A ChatSession in its own downloads folder that records what it is told. */
function session(port: number, dir: string) {
  const recorded = new Recorder<RoomEvent>();
  const progress: TransferProgress[] = [];
  const s = new ChatSession({
    hostname: "127.0.0.1",
    port,
    downloadsDir: `${dir}/downloads`,
    onEvent: recorded.push,
    onProgress: (p) => void progress.push(p),
  });
  return { s, events: recorded.items, recorded, progress, [Symbol.asyncDispose]: () => s.quit() };
}

Deno.test("an avatar sent with a join request reaches the others before the join announcement", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  await using fun = session(srv.port, srv.dir);
  const image = makePng(16, 16);
  const result = await fun.s.join("Fun", { filename: "attachments/fun.png", bytes: image });
  assert.deepEqual(result, { accepted: true, username: "Fun" });
  const avatar = await cool.next((f) => (f.flags & FLAG.AVATAR) !== 0);
  assert.equal(avatar.username, "Fun");
  assert.equal(avatar.filename, "fun.png");
  assert.deepEqual(avatar.payload, image);
  const announce = await cool.nextText("Fun joined the chatroom.");
  assert.ok(cool.frames.indexOf(avatar) < cool.frames.indexOf(announce));
  assert.ok(srv.log.some((l) => l.includes('joined as "Fun" with avatar fun.png')));
});

Deno.test("a joining user is told every active user's avatar before the history ends", async () => {
  await using srv = await startServer();
  await using cool = session(srv.port, `${srv.dir}/cool`);
  const coolPng = makePng(8, 8, { rgb: [250, 0, 0] });
  await cool.s.join("Cool", { filename: "cool.png", bytes: coolPng });
  cool.s.say("Hi");
  await using fun = session(srv.port, `${srv.dir}/fun`);
  await fun.s.join("Fun");
  await fun.recorded.some((e) => e.type === "history-end", "Fun's history ended");
  const kinds = fun.events.map((e) => e.type);
  const avatar = fun.events.find((e) => e.type === "avatar");
  assert.ok(avatar && avatar.type === "avatar");
  assert.equal(avatar.username, "Cool");
  assert.deepEqual(avatar.bytes, coolPng);
  assert.ok(kinds.indexOf("avatar") < kinds.indexOf("history-end"));
  assert.equal(kinds.filter((k) => k === "avatar").length, 1, "Fun sent none, so only Cool's");
});

Deno.test("a joiner is sent every avatar even when they add up to more than its send queue may hold", async () => {
  // 36 users with 256 KiB avatars are 9 MiB of AVATAR frames for the next joiner, over the 8 MiB
  // that may wait in a connection's queue; they go out as a stream instead, like the history.
  await using srv = await startServer({ maxUsers: 40 });
  const big = new Uint8Array(MAX_AVATAR_BYTES);
  big.set(makePng(1, 1).subarray(0, 8)); // the PNG signature: all the server checks besides the size
  const users: TestClient[] = [];
  try {
    for (let i = 0; i < 36; i++) {
      const user = await TestClient.connect(srv.port);
      users.push(user);
      user.send({
        flags: FLAG.JOIN_REQUEST,
        username: `user${i}`,
        filename: "a.png",
        payload: big,
      });
      await user.next((f) => (f.flags & FLAG.JOIN_ACCEPT) !== 0);
    }
    await using late = await TestClient.join(srv.port, "Late");
    await late.nextText("Late joined the chatroom.", 30_000);
    const avatars = late.frames.filter((f) => (f.flags & FLAG.AVATAR) !== 0);
    assert.equal(avatars.length, 36);
    assert.ok(avatars.every((f) => f.payload.length === MAX_AVATAR_BYTES));
    assert.ok(!srv.log.some((l) => l.includes("too far behind")), srv.log.join("\n"));
  } finally {
    await Promise.all(users.map((u) => u.close()));
  }
});

Deno.test("a join request with an avatar that is not an image is rejected with the reason", async () => {
  await using srv = await startServer();
  await using fun = session(srv.port, srv.dir);
  const bytes = new TextEncoder().encode("<svg><script>alert(1)</script></svg>");
  const result = await fun.s.join("Fun", { filename: "evil.svg", bytes });
  assert.equal(result.accepted, false);
  assert.ok(!result.accepted);
  assert.equal(result.code, CODE.INVALID_AVATAR);
  assert.match(result.text, /^The server rejects the join request\. The avatar is not accepted: /);
  assert.equal(srv.server.room.members.length, 0);
});

Deno.test("a terminal-style join without a payload still works and sends no avatar", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  await using fun = await TestClient.join(srv.port, "Fun");
  await cool.nextText("Fun joined the chatroom.");
  assert.equal(cool.frames.filter((f) => (f.flags & FLAG.AVATAR) !== 0).length, 0);
  assert.equal(fun.frames.filter((f) => (f.flags & FLAG.AVATAR) !== 0).length, 0);
  assert.equal(text(fun.frames[0]), "");
});

Deno.test("ChatSession reports upload and download progress up to the whole size", async () => {
  await using srv = await startServer();
  await using cool = session(srv.port, `${srv.dir}/cool`);
  await using fun = session(srv.port, `${srv.dir}/fun`);
  await cool.s.join("Cool");
  await fun.s.join("Fun");
  const path = `${srv.dir}/big.png`;
  await Deno.writeFile(path, makePng(700, 700, { noise: true }));
  const size = (await Deno.stat(path)).size;
  assert.ok(size > 1024 * 1024, `the test file is ${size} bytes, big enough for several chunks`);
  await cool.s.upload(path, { filename: "big.png" });
  await fun.recorded.some(
    (e) => e.type === "attachment" && e.filename === "big.png",
    "Fun received big.png",
  );
  for (const [who, direction] of [[cool, "upload"], [fun, "download"]] as const) {
    const steps = who.progress.filter((p) => p.direction === direction);
    assert.ok(steps.length > 1, `${direction}: several progress reports`);
    assert.ok(steps.every((p) => p.filename === "big.png" && p.total === size));
    assert.ok(steps.every((p, i) => i === 0 || p.done > steps[i - 1].done), "done only grows");
    assert.equal(steps.at(-1)!.done, size);
  }
});
