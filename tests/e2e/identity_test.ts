import assert from "node:assert/strict";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { type Received, startServer, TestClient, text } from "../support/harness.ts";

const isJoinReply = (f: Received) => (f.flags & (FLAG.JOIN_ACCEPT | FLAG.JOIN_REJECT)) !== 0;

/** Asks to join as `username` and returns the join reject's text; fails if accepted. */
async function rejectedJoin(port: number, username: string): Promise<string> {
  await using client = await TestClient.connect(port);
  client.send({ flags: FLAG.JOIN_REQUEST, username });
  const reply = await client.next(isJoinReply);
  assert.ok(hasFlag(reply, FLAG.JOIN_REJECT), `the join as ${username} was accepted`);
  return text(reply);
}

Deno.test("a look-alike of an active user or of Server is refused, and the room goes on", async () => {
  await using srv = await startServer();
  await using fun = await TestClient.join(srv.port, "Fun");
  fun.say("Hi\n");
  await fun.nextText("Hi"); // the server drops the trailing newline

  assert.equal(
    await rejectedJoin(srv.port, "F\u057dn"), // Armenian small letter seh
    "The server rejects the join request. Another user is using this username.",
  );
  assert.match(
    await rejectedJoin(srv.port, "\u0405erver"), // Cyrillic capital dze
    /^The server rejects the join request\. The username is not allowed: it looks like "Server"/,
  );

  await using cool = await TestClient.join(srv.port, "Cool");
  await cool.nextText("Cool joined the chatroom."); // sent after the history
  const history = cool.frames.filter((f) => hasFlag(f, FLAG.HISTORY));
  assert.deepEqual(history.map((f) => [f.sender, text(f)]), [
    ["Server", "Fun joined the chatroom."],
    ["Fun", "Hi"],
  ]);
  await fun.nextText("Cool joined the chatroom.");
  cool.say("Hey Fun\n");
  assert.equal((await fun.nextText("Hey Fun")).sender, "Cool");
});
