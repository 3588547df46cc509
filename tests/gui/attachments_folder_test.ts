import assert from "node:assert/strict";
import { listAttachments, resolveAttachment } from "../../lib/gui/attachments_folder.ts";

Deno.test("listAttachments() lists the visible files of the folder, sorted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["b.png", "a.txt", ".hidden"]) {
      await Deno.writeTextFile(`${dir}/${name}`, "x");
    }
    await Deno.mkdir(`${dir}/sub`);
    assert.deepEqual(await listAttachments(dir), ["a.txt", "b.png"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listAttachments() treats a missing folder as empty", async () => {
  assert.deepEqual(await listAttachments("/nonexistent/chatroom/attachments"), []);
});

Deno.test("resolveAttachment() resolves only names of files in the folder", async (t) => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/attachments`;
  try {
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/cool.png`, "x");
    await Deno.writeTextFile(`${root}/secret.txt`, "x");
    await t.step("a listed file", async () => {
      assert.equal(await resolveAttachment(dir, "cool.png"), `${dir}/cool.png`);
    });
    for (
      const name of ["../secret.txt", "/etc/passwd", "..", ".", "", "sub/cool.png", "nope.png"]
    ) {
      await t.step(JSON.stringify(name), async () => {
        assert.equal(await resolveAttachment(dir, name), null);
      });
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
