/**
 * Attachment names the file system cannot hold as they came: cut on a
 * character boundary to fit its 255-byte limit with room for numbering, and
 * never answered with a path of the server's.
 */
import assert from "node:assert/strict";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { utf8Length } from "../../lib/shared/wire/wire_bytes.ts";
import { startServer, text } from "../support/harness.ts";
import { Bystanders } from "../support/bystanders.ts";

Deno.test("an attachment named with 86 CJK characters is stored under a name of at most 255 bytes, twice", async () => {
  await using srv = await startServer();
  await using people = await Bystanders.start(srv.port);
  const filename = "漢".repeat(86) + ".txt"; // 262 bytes of UTF-8, 90 characters
  const path = `${srv.dir}/long.txt`;
  await Deno.writeTextFile(path, "long name\n");
  for (const copy of [1, 2]) {
    await people.cool.upload(path, filename);
    // The sender gets its file back (it asked for no ECHO), or the refusal.
    const back = await people.cool.next((f) => (f.flags & (FLAG.ATTACHMENT | FLAG.ERROR)) !== 0);
    assert.ok(hasFlag(back, FLAG.ATTACHMENT), `copy ${copy} refused: ${text(back)}`);
    const got = await people.fun.next((f) => hasFlag(f, FLAG.ATTACHMENT));
    assert.equal(text(got), "long name\n");
    assert.ok(got.filename.endsWith(".txt"), got.filename);
    assert.ok(utf8Length(got.filename) <= 255, `${utf8Length(got.filename)} bytes`);
  }
  const stored = [];
  for await (const entry of Deno.readDir(srv.downloads)) stored.push(entry.name);
  assert.equal(stored.length, 2, stored.join(", "));
  for (const name of stored) assert.ok(utf8Length(name) <= 255, name);
  assert.ok(stored.some((name) => name.includes(" (2)")), stored.join(", "));
  await people.assertHealthy(srv.dir);
});

Deno.test("no ERROR frame names a path of the server's, even when storing a file fails", async () => {
  await using srv = await startServer();
  await using people = await Bystanders.start(srv.port);
  const path = `${srv.dir}/blocked.txt`;
  await Deno.writeTextFile(path, "blocked\n");
  // downloads/ replaced by a file: every store fails, with a path in the OS error.
  await Deno.remove(srv.downloads, { recursive: true });
  await Deno.writeTextFile(srv.downloads, "not a folder");
  await people.cool.upload(path, "blocked.txt");
  const refusal = await people.cool.next((f) => hasFlag(f, FLAG.ERROR));
  assert.match(text(refusal), /could not store blocked\.txt/);
  assert.ok(!text(refusal).includes(srv.dir), text(refusal));
  assert.ok(!text(refusal).includes("downloads"), text(refusal));
  await Deno.remove(srv.downloads);
  await people.assertHealthy(srv.dir);
});
