/**
 * A connection has one history replay at a time: joining again (after a
 * quit) cancels the rest of the one before, and the new JOIN_ACCEPT is
 * followed by exactly its own history.
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import type { Frame } from "../../lib/shared/wire/frame.ts";
import { FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { writeAll } from "../../lib/shared/net/byte_conn.ts";
import { startServer } from "../support/harness.ts";
import { Bystanders } from "../support/bystanders.ts";

Deno.test("joining again on a connection cancels the rest of its history; the new one follows its JOIN_ACCEPT whole", async () => {
  await using srv = await startServer({ maxUsers: 10 });
  const lines = 5000;
  for (let i = 0; i < lines; i++) {
    srv.server.room.history.append({
      kind: "chat",
      timestamp: 1_700_000_000_000 + i,
      username: "Filler",
      text: `line ${i} ${"y".repeat(1000)}`,
    });
  }
  await using people = await Bystanders.start(srv.port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
  const reader = new FrameReader(conn);
  const frames: Frame[] = [];
  const read = async () => {
    const header = await reader.readHeader();
    assert.ok(header, "the server closed the connection");
    const frame = { ...header, payload: await reader.readPayload(header, 1 << 20) };
    frames.push(frame);
    return frame;
  };
  try {
    await writeAll(conn, encodeFrame({ flags: FLAG.JOIN_REQUEST, username: "Mallory" }));
    const first = await read();
    assert.ok(hasFlag(first, FLAG.JOIN_ACCEPT));
    // A little of the 5 MB history, then leave and come back while the rest is queued.
    for (let i = 0; i < 10; i++) assert.ok(hasFlag(await read(), FLAG.HISTORY));
    await writeAll(conn, encodeFrame({ flags: FLAG.QUIT_REQUEST }));
    await writeAll(conn, encodeFrame({ flags: FLAG.JOIN_REQUEST, username: "Mallory" }));
    let second: Frame | undefined;
    while (!second) {
      const frame = await read();
      if (hasFlag(frame, FLAG.JOIN_ACCEPT)) second = frame;
    }
    const before = frames.length - 1;
    const oldHistory = frames.slice(1, before).filter((f) => hasFlag(f, FLAG.HISTORY));
    assert.ok(oldHistory.length < first.number, "the first history was cut short");
    assert.ok(
      frames.slice(1, before).some((f) => hasFlag(f, FLAG.QUIT_ACCEPT)),
      "the quit is answered before the second join",
    );
    assert.equal(second.number, first.number + 2, "the history since: the first join and leave");
    for (let i = 0; i < second.number; i++) {
      const frame = await read();
      assert.ok(hasFlag(frame, FLAG.HISTORY), `frame ${i} after the JOIN_ACCEPT is history`);
      if (i < lines) {
        assert.equal(new TextDecoder().decode(frame.payload).split(" ")[1], String(i));
      }
    }
    const announcement = await read();
    assert.ok(hasFlag(announcement, FLAG.NEW_USER) && !hasFlag(announcement, FLAG.HISTORY));
    assert.equal(announcement.username, "Mallory");
  } finally {
    conn.close();
  }
  await people.fun.nextText("Mallory left the chatroom.");
  await people.assertHealthy(srv.dir);
});
