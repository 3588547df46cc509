import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileExactly } from "../../lib/shared/files/read_file.ts";
import {
  FileCheckError,
  publishFile,
  receiveFile,
  removeIncomplete,
} from "../../lib/shared/files/receive_file.ts";
import { looksLikeText } from "../../lib/shared/text.ts";
import { numberedName, safeFileName } from "../../lib/shared/files/safe_file_name.ts";

Deno.test("safeFileName() keeps only a harmless base name", async (t) => {
  const cases: [string, string][] = [
    ["attachments/coolfile1.txt", "coolfile1.txt"],
    ["../../etc/passwd", "passwd"],
    ["/etc/shadow", "shadow"],
    ["C:\\Windows\\system.ini", "system.ini"],
    ["C:evil.txt", "evil.txt"],
    ["..\\..\\boot.ini", "boot.ini"],
    ["..", "attachment"],
    ["", "attachment"],
    [".bashrc", "bashrc"],
    ["a\u0000b.txt", "a_b.txt"],
    ["a\u001b[31mred.txt", "a_[31mred.txt"],
    ["CON", "_CON"],
    ["nul.txt", "_nul.txt"],
    ["CON .txt", "_CON .txt"],
    ["CONIN$", "_CONIN$"],
    ["conout$.log", "_conout$.log"],
    ["a\u2028b.txt", "a_b.txt"],
    ["console.txt", "console.txt"],
    ["com1", "_com1"],
    ["what?.txt", "what_.txt"],
    ["trailing. ", "trailing"],
    ["\u202etxt.exe", "_txt.exe"],
  ];
  for (const [input, expected] of cases) {
    await t.step(JSON.stringify(input), () => assert.equal(safeFileName(input), expected));
  }
  await t.step("a 10,000-character name is cut but keeps its extension", () => {
    const safe = safeFileName("x".repeat(10_000) + ".png");
    assert.equal([...safe].length, 100);
    assert.ok(safe.endsWith(".png"));
  });
});

Deno.test("numberedName() numbers before the extension", () => {
  assert.equal(numberedName("a.txt", 1), "a.txt");
  assert.equal(numberedName("a.txt", 2), "a (2).txt");
  assert.equal(numberedName("README", 3), "README (3)");
});

async function* chunksOf(...parts: string[]) {
  for (const p of parts) yield new TextEncoder().encode(p);
}

function sha(text: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(text).digest());
}

async function listDir(dir: string): Promise<string[]> {
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("receiveFile() never overwrites: a second file gets a numbered name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await receiveFile(chunksOf("one"), dir, "a.txt", { size: 3, sha256: sha("one") });
    const b = await receiveFile(chunksOf("two"), dir, "a.txt", { size: 3, sha256: sha("two") });
    assert.equal(a.name, "a.txt");
    assert.equal(b.name, "a (2).txt");
    assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "one");
    assert.equal(await Deno.readTextFile(`${dir}/a (2).txt`), "two");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("publishFile() links the file under the first free name, replaces nothing and drops the temporary name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "first");
    await Deno.writeTextFile(`${dir}/a (2).txt`, "second");
    await Deno.writeTextFile(`${dir}/.incoming-x.part`, "third");
    const name = await publishFile(`${dir}/.incoming-x.part`, dir, "a.txt");
    assert.equal(name, "a (3).txt");
    assert.equal(await Deno.readTextFile(`${dir}/a (3).txt`), "third");
    assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "first");
    assert.equal(await Deno.readTextFile(`${dir}/a (2).txt`), "second");
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["a (2).txt", "a (3).txt", "a.txt"]);
    assert.equal((await Deno.stat(`${dir}/a (3).txt`)).nlink, 1, "one name left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("publishFile() renames onto a reserved name where hard links are not supported", async () => {
  const dir = await Deno.makeTempDir();
  const noLinks = () => Promise.reject(new Deno.errors.NotSupported("Operation not supported"));
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "first");
    await Deno.writeTextFile(`${dir}/.incoming-y.part`, "second");
    assert.equal(await publishFile(`${dir}/.incoming-y.part`, dir, "a.txt", noLinks), "a (2).txt");
    assert.equal(await Deno.readTextFile(`${dir}/a (2).txt`), "second");
    assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "first");
    // A temporary file gone meanwhile: the error comes through, and no empty reserved file stays.
    await assert.rejects(
      publishFile(`${dir}/.incoming-gone.part`, dir, "a.txt", noLinks),
      Deno.errors.NotFound,
    );
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["a (2).txt", "a.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("receiveFile() reuses an identical file when asked, instead of a copy", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await receiveFile(chunksOf("same"), dir, "a.txt", { size: 4 });
    const again = await receiveFile(chunksOf("sa", "me"), dir, "a.txt", {
      size: 4,
      reuseIdentical: true,
      keepHead: 10,
    });
    assert.equal(again.name, "a.txt");
    assert.equal(new TextDecoder().decode(again.head), "same");
    assert.deepEqual(await listDir(dir), ["a.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("receiveFile() with many files of one name: numbered in order, an identical one reused, a changed or removed one not", async () => {
  const dir = await Deno.makeTempDir();
  const receive = (text: string) =>
    receiveFile(chunksOf(text), dir, "a.txt", {
      size: text.length,
      sha256: sha(text),
      reuseIdentical: true,
    });
  const content = (i: number) => `content ${String(i).padStart(4, "0")}`;
  try {
    for (let i = 1; i <= 300; i++) {
      assert.equal((await receive(content(i))).name, numberedName("a.txt", i));
    }
    assert.equal((await receive(content(150))).name, "a (150).txt", "identical: reused");
    await Deno.remove(`${dir}/a (150).txt`);
    assert.equal((await receive(content(150))).name, "a (301).txt", "removed: saved anew");
    // Changed in place, its size kept: not the file it was.
    await Deno.writeTextFile(`${dir}/a (10).txt`, content(9999));
    await Deno.utime(`${dir}/a (10).txt`, 1, 1);
    assert.equal((await receive(content(10))).name, "a (302).txt", "changed: saved anew");
    // Saved by another process sharing the folder: found.
    await Deno.writeTextFile(`${dir}/a (303).txt`, "from another client");
    assert.equal((await receive("from another client")).name, "a (303).txt");
    assert.equal((await receive("one more")).name, "a (304).txt");
    assert.equal((await listDir(dir)).length, 303);
    // The name itself, once free, is taken again (a user removed the file).
    await Deno.remove(`${dir}/a.txt`);
    assert.equal((await receive("back under its name")).name, "a.txt");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("receiveFile() leaves nothing behind on a hash mismatch or a cut transfer", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await t.step("hash mismatch", async () => {
      await assert.rejects(
        receiveFile(chunksOf("evil"), dir, "a.txt", { size: 4, sha256: sha("good") }),
        FileCheckError,
      );
    });
    await t.step("stream that fails mid-way", async () => {
      async function* broken() {
        yield new Uint8Array(10);
        throw new Error("connection reset");
      }
      await assert.rejects(receiveFile(broken(), dir, "b.txt", { size: 100 }), /connection reset/);
    });
    assert.deepEqual(await listDir(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("removeIncomplete() deletes only leftover temporary files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/.incoming-1234.part`, "partial");
    await Deno.writeTextFile(`${dir}/keep.txt`, "keep");
    assert.equal(await removeIncomplete(dir), 1);
    assert.deepEqual(await listDir(dir), ["keep.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("looksLikeText() accepts UTF-8 text and refuses binary", () => {
  assert.equal(looksLikeText(new TextEncoder().encode("héllo\n")), true);
  assert.equal(looksLikeText(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1])), false);
  assert.equal(looksLikeText(new Uint8Array([0xff, 0xfe])), false);
});

Deno.test("readFileExactly() cuts a file that grew and pads one that shrank or vanished to the announced size", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/f.txt`;
    await Deno.writeTextFile(path, "abcd");
    const collect = async (file: string, size: number) => {
      const out: number[] = [];
      for await (const chunk of readFileExactly(file, size)) out.push(...chunk);
      return out;
    };
    assert.deepEqual(await collect(path, 3), [97, 98, 99]);
    assert.deepEqual(await collect(path, 6), [97, 98, 99, 100, 0, 0]);
    assert.deepEqual(await collect(path, 0), []);
    assert.deepEqual(await collect(`${dir}/gone.txt`, 2), [0, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
