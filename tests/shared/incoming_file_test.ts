import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { IncomingFile } from "../../lib/shared/files/incoming_file.ts";
import { FileCheckError } from "../../lib/shared/files/receive_file.ts";

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  return out.sort();
}

const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);

Deno.test("IncomingFile saves the pieces pushed, in order, checked, under a free name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.bin`, "someone else's");
    const whole = bytes(300_000);
    const file = await IncomingFile.open(dir, "a.bin", {
      size: whole.length,
      sha256: sha256(whole),
      keepHead: 10,
    });
    // Hidden while it arrives.
    assert.match((await names(dir)).join(), /\.incoming-.*\.part/);
    for (let at = 0; at < whole.length; at += 70_000) {
      await file.push(whole.slice(at, at + 70_000));
    }
    assert.equal(file.received, whole.length);
    const saved = await file.finish();
    assert.equal(saved.name, "a (2).bin");
    assert.equal(saved.path, `${dir}/a (2).bin`);
    assert.deepEqual(saved.head, whole.subarray(0, 10));
    assert.deepEqual(saved.sha256, sha256(whole));
    assert.deepEqual(await Deno.readFile(saved.path), whole);
    assert.deepEqual(await names(dir), ["a (2).bin", "a.bin"]);
    assert.throws(() => file.push(bytes(1)), /already finished or aborted/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IncomingFile reuses an identical file when asked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const whole = bytes(5000, 3);
    await Deno.writeFile(`${dir}/r.bin`, whole);
    const file = await IncomingFile.open(dir, "r.bin", {
      size: whole.length,
      reuseIdentical: true,
    });
    await file.push(whole.slice());
    assert.equal((await file.finish()).name, "r.bin");
    assert.deepEqual(await names(dir), ["r.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IncomingFile leaves nothing behind on a wrong digest, a wrong size or an abort", async (t) => {
  const dir = await Deno.makeTempDir();
  const whole = bytes(4000, 9);
  try {
    await t.step("a wrong digest", async () => {
      const file = await IncomingFile.open(dir, "d.bin", { size: 4000, sha256: sha256(whole) });
      const damaged = whole.slice();
      damaged[7] ^= 1;
      await file.push(damaged);
      await assert.rejects(file.finish(), FileCheckError);
      assert.deepEqual(await names(dir), []);
    });
    await t.step("too few bytes", async () => {
      const file = await IncomingFile.open(dir, "s.bin", { size: 4001 });
      await file.push(whole.slice());
      await assert.rejects(file.finish(), /received 4000 bytes, expected 4001/);
      assert.deepEqual(await names(dir), []);
    });
    await t.step("an abort with writes still queued", async () => {
      const file = await IncomingFile.open(dir, "q.bin", { size: 40_000, maxQueued: 0 });
      for (let i = 0; i < 10; i++) void file.push(whole.slice());
      await file.abort();
      assert.deepEqual(await names(dir), []);
      await file.abort(); // twice is harmless
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IncomingFile.push() makes its caller wait only once more than maxQueued bytes wait", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = await IncomingFile.open(dir, "w.bin", { size: 3000, maxQueued: 1500 });
    let settled = false;
    // 1000 queued: under the bound, so resolved at once (before any write could finish).
    const first = file.push(bytes(1000)).then(() => settled = true);
    await Promise.resolve();
    assert.equal(settled, true);
    await first;
    // 2000 more than the disk has taken: waits for the write that makes room.
    settled = false;
    const second = file.push(bytes(2000)).then(() => settled = true);
    await Promise.resolve();
    assert.equal(settled, false);
    await second;
    assert.equal(settled, true);
    assert.equal((await file.finish()).size, 3000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
