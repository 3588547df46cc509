/**
 * The client saves what a server sends inside its downloads folder, whatever
 * file name the server announces (either slash, as Windows reads both).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { ChatSession, type RoomEvent } from "../../lib/client/session.ts";
import { Recorder } from "../support/recorder.ts";

/** A one-shot fake server: answers the first connection with `frames`, then a report. */
function fakeServer(frames: Uint8Array[]): { port: number; done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    for (const frame of [...frames, encodeFrame({ flags: FLAG.REPORT_RESPONSE })]) {
      let at = 0;
      while (at < frame.length) at += await conn.write(frame.subarray(at));
    }
    // Wait for the client to hang up, so nothing is left open.
    while (await conn.read(new Uint8Array(64 * 1024)).catch(() => null) !== null) { /* drain */ }
    conn.close();
  })();
  return { port: listener.addr.port, done };
}

function attachment(filename: string, text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const sha256 = new Uint8Array(createHash("sha256").update(payload).digest());
  return encodeFrame({ flags: FLAG.ATTACHMENT, sender: "Evil", filename, sha256, payload });
}

Deno.test("ChatSession saves an attachment named with ../ or ..\\ inside downloads/", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-paths-" });
  try {
    const downloads = join(dir, "downloads");
    const names = ["../escaped-slash.txt", "..\\escaped-backslash.txt", "C:\\drive.txt"];
    const server = fakeServer(names.map((name) => attachment(name, `from ${name}`)));
    const recorded = new Recorder<RoomEvent>();
    const session = new ChatSession({
      hostname: "127.0.0.1",
      port: server.port,
      downloadsDir: downloads,
      onEvent: recorded.push,
    });
    await session.report();
    await recorded.until(
      (events) => events.length === names.length,
      "every attachment was handled",
    );
    await session.close();
    await server.done;
    const saved = [];
    for await (const entry of Deno.readDir(downloads)) saved.push(entry.name);
    assert.deepEqual(saved.sort(), ["drive.txt", "escaped-backslash.txt", "escaped-slash.txt"]);
    const outside = [];
    for await (const entry of Deno.readDir(dir)) outside.push(entry.name);
    assert.deepEqual(outside, ["downloads"]);
    assert.equal(
      await Deno.readTextFile(join(downloads, "escaped-backslash.txt")),
      "from ..\\escaped-backslash.txt",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
