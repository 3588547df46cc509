/**
 * ChatSession refuses a request it cannot encode without wedging: nothing
 * is sent, the next request works, and closing leaves no rejection behind.
 */
import assert from "node:assert/strict";
import { ChatSession } from "../../lib/client/session.ts";
import { ConnectionError, RequestError } from "../../lib/client/connection_error.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { FakePeer, FakeServer } from "../support/fake_server.ts";
import type { RoomEvent } from "../../lib/client/room_event.ts";
import { startServer } from "../support/harness.ts";

Deno.test("ChatSession refuses a username over 64 bytes and stays usable", async () => {
  await using srv = await startServer();
  const events: RoomEvent[] = [];
  const session = new ChatSession({
    hostname: "127.0.0.1",
    port: srv.port,
    downloadsDir: `${srv.dir}/downloads`,
    onEvent: (event) => void events.push(event),
  });
  try {
    await assert.rejects(
      session.join("漢".repeat(22)),
      (error: Error) =>
        error instanceof RequestError && /66 bytes in UTF-8, over the protocol's limit of 64/
          .test(error.message),
    );
    assert.deepEqual(await session.report(), { count: 0, users: [] });
    assert.deepEqual(await session.join("Cool"), { accepted: true, username: "Cool" });
    assert.equal(srv.server.room.members.length, 1);
  } finally {
    await session.quit();
  }
  assert.deepEqual(events.map((e) => e.type).filter((t) => t === "joined"), ["joined"]);
});

/** A session with the fake server at `port`, its events dropped, closed on dispose. */
function quickSession(port: number, answerTimeoutMs: number) {
  const session = new ChatSession({
    hostname: "127.0.0.1",
    port,
    onEvent: () => {},
    answerTimeoutMs,
  });
  return Object.assign(session, { [Symbol.asyncDispose]: () => session.close() });
}

Deno.test("ChatSession gives up on a server that never answers, saying so, and connects afresh for the next request", async () => {
  let connections = 0;
  const seen = new Set<FakePeer>();
  await using fake = FakeServer.start((frame, peer) => {
    if (!seen.has(peer)) {
      seen.add(peer);
      connections++;
    }
    // The first connection is answered never; the second as a server would.
    if (connections >= 2 && hasFlag(frame, FLAG.REPORT_REQUEST)) {
      return peer.send({ flags: FLAG.REPORT_RESPONSE, number: 0 });
    }
  });
  await using session = quickSession(fake.port, 200);
  {
    await assert.rejects(
      session.join("Cool"),
      (error: Error) =>
        error instanceof ConnectionError &&
        error.message === "The server did not answer the join request within 0.2 s.",
    );
    assert.deepEqual(await session.report(), { count: 0, users: [] });
    assert.equal(connections, 2);
  }
});

Deno.test("ChatSession in the room waits for a slow answer: it may be behind the server's rate limit", async () => {
  await using fake = FakeServer.start(async (frame, peer) => {
    if (hasFlag(frame, FLAG.JOIN_REQUEST)) {
      return peer.send({ flags: FLAG.JOIN_ACCEPT, username: frame.username });
    }
    if (hasFlag(frame, FLAG.REPORT_REQUEST)) {
      // Slower than the answer timeout, as a server reading this connection at its rate.
      await new Promise((resolve) => setTimeout(resolve, 300));
      return peer.send({ flags: FLAG.REPORT_RESPONSE, number: 0 });
    }
  });
  await using session = quickSession(fake.port, 100);
  {
    assert.deepEqual(await session.join("Cool"), { accepted: true, username: "Cool" });
    assert.deepEqual(await session.report(), { count: 0, users: [] });
  }
});
