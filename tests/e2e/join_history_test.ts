import assert from "node:assert/strict";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { startServer, TestClient, text } from "../support/harness.ts";

Deno.test("a user joining a history far bigger than the send queue gets all of it", async () => {
  // 2 MiB of queue and 4 MiB of history: before the history was streamed,
  // the server queued it all at once and dropped the joiner as too slow.
  await using srv = await startServer({ maxQueueBytes: 2 * 1024 * 1024 });
  const count = 40_000;
  const line = "x".repeat(60);
  for (let i = 0; i < count; i++) {
    srv.server.room.history.append({
      kind: "chat",
      timestamp: 1_700_000_000_000 + i,
      username: "Cool",
      text: `${i} ${line}`,
    });
  }
  await using fun = await TestClient.join(srv.port, "Fun");
  const accept = fun.frames.find((f) => hasFlag(f, FLAG.JOIN_ACCEPT))!;
  assert.equal(accept.number, count);
  const dropped = fun.closed.then(() => {
    throw new Error("The server closed the connection during the history");
  });
  await Promise.race([fun.nextText("Fun joined the chatroom.", 20_000), dropped]);
  const history = fun.frames.filter((f) => hasFlag(f, FLAG.HISTORY));
  assert.equal(history.length, count);
  assert.equal(text(history[0]), `0 ${line}`);
  assert.equal(text(history[count - 1]), `${count - 1} ${line}`);
  assert.ok(history.every((f, i) => f.timestamp === 1_700_000_000_000 + i));
});

Deno.test("a joiner's history replays a stored attachment from disk, in its place", async () => {
  await using srv = await startServer();
  const file = `${srv.dir}/coolfile1.txt`;
  const content = "I am on a light diet: I eat in daylight, I eat in moonlight.";
  await Deno.writeTextFile(file, content);
  await using cool = await TestClient.join(srv.port, "Cool");
  cool.say("before");
  await cool.upload(file, "coolfile1.txt");
  await cool.next((f) => hasFlag(f, FLAG.ATTACHMENT));
  cool.say("after");
  await cool.nextText("after");
  await using fun = await TestClient.join(srv.port, "Fun");
  await fun.nextText("Fun joined the chatroom.");
  const history = fun.frames.filter((f) => hasFlag(f, FLAG.HISTORY));
  assert.deepEqual(
    history.map((f) => hasFlag(f, FLAG.ATTACHMENT) ? `file:${f.filename}` : text(f)),
    ["Cool joined the chatroom.", "before", "file:coolfile1.txt", "after"],
  );
  assert.equal(text(history[2]), content);
});
