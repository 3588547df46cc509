/**
 * ChatSession refuses a request it cannot encode without wedging: nothing
 * is sent, the next request works, and closing leaves no rejection behind.
 */
import assert from "node:assert/strict";
import { ChatSession } from "../../lib/client/session.ts";
import { RequestError } from "../../lib/client/connection_error.ts";
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
