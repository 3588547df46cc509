import assert from "node:assert/strict";
import { FLAG, hasFlag } from "../lib/protocol.ts";
import { startServer, TestClient, text } from "./support/harness.ts";

Deno.test("a user joining a history far bigger than the send queue gets all of it", async () => {
  // 2 MiB of queue and 4 MiB of history: before the history was streamed,
  // the server queued it all at once and dropped the joiner as too slow.
  await using srv = await startServer({ maxQueuedBytes: 2 * 1024 * 1024 });
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
