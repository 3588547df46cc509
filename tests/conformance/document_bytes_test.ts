/**
 * The hex blocks of docs/PROTOCOL.md are the bytes of the frames they
 * describe, built here field by field without our codec.
 */
import assert from "node:assert/strict";
import { F, hex, rawFrame, sha256 } from "./raw_wire.ts";

const doc = Deno.readTextFileSync(new URL("../../docs/PROTOCOL.md", import.meta.url));

/** The hex blocks of the section titled `title`, each as one line of bytes. */
function hexBlocks(title: string): string[] {
  const start = doc.indexOf(`## ${title}\n`);
  assert.ok(start >= 0, `PROTOCOL.md has a section ${title}`);
  const end = doc.indexOf("\n## ", start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```\n([0-9a-f \n]+)```/g)].map((m) =>
    m[1].trim().split(/\s+/).join(" ")
  );
}

Deno.test("§Writing a client: each frame's bytes are those of the frame described", async () => {
  const file = new TextEncoder().encode("hi\n");
  const expected = [
    rawFrame({ flags: F.REPORT_REQUEST }),
    rawFrame({ flags: F.JOIN_REQUEST, username: "Cool", number: 1 }),
    rawFrame({ flags: F.JOIN_ACCEPT, username: "Cool", number: 2, timestamp: 0x0102030405n }),
    rawFrame({ payload: "Hi" }),
    rawFrame({ flags: F.ATTACHMENT, filename: "a.txt", sha256: await sha256(file), payload: file }),
    rawFrame({ flags: F.QUIT_REQUEST }),
  ].map(hex);
  assert.deepEqual(hexBlocks("Writing a client"), expected);
});

Deno.test("§Example bytes: the report request, join request and relayed chat line", () => {
  const expected = [
    rawFrame({ flags: F.REPORT_REQUEST }),
    rawFrame({ flags: F.JOIN_REQUEST, username: "Cool" }),
    rawFrame({ sender: "Fun", timestamp: 0x0102030405n, payload: "Hi" }),
  ].map(hex);
  assert.deepEqual(hexBlocks("Example bytes"), expected);
});
