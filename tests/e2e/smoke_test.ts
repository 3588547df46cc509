import assert from "node:assert/strict";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { startServer, TestClient, text } from "../support/harness.ts";

Deno.test("a joined user's message reaches every active user", async () => {
  await using srv = await startServer();
  await using cool = await TestClient.join(srv.port, "Cool");
  await using fun = await TestClient.join(srv.port, "Fun");
  await cool.nextText("Fun joined the chatroom.");
  cool.say("Hi");
  const seen = await fun.nextText("Hi");
  assert.equal(seen.sender, "Cool");
  assert.equal(seen.flags, 0);
  const echoed = await cool.nextText("Hi");
  assert.equal(text(echoed), "Hi");
  assert.equal(hasNoFlag(echoed), true);
});

function hasNoFlag(f: { flags: number }) {
  return (f.flags & ~FLAG.HISTORY) === 0;
}
