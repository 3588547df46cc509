import assert from "node:assert/strict";
import { hashFile, readFileChunks } from "../../lib/shared/files/read_file.ts";
import { receiveFile } from "../../lib/shared/files/receive_file.ts";
import { CHUNK_SIZE } from "../../lib/shared/net/byte_conn.ts";
import { concatBytes } from "../../lib/shared/wire/bytes.ts";

function pattern(size: number): Uint8Array {
  return new Uint8Array(size).map((_, i) => (i * 7 + (i >> 12)) & 0xff);
}

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

Deno.test("receiveFile() and readFileChunks() carry a multi-chunk file byte for byte", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const content = pattern(3 * CHUNK_SIZE + 999);
    const received = await receiveFile(chunksOf(content, 100_000), dir, "big.bin", {
      size: content.length,
    });
    assert.deepEqual(await Deno.readFile(received.path), content);
    assert.deepEqual((await hashFile(received.path)).sha256, received.sha256);
    const parts: Uint8Array[] = [];
    // Chunks share buffers: keep copies.
    for await (const chunk of readFileChunks(received.path)) parts.push(chunk.slice());
    assert.deepEqual(parts.map((p) => p.length), [CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE, 999]);
    assert.deepEqual(concatBytes(parts), content);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function* failing(): AsyncGenerator<Uint8Array> {
  yield pattern(CHUNK_SIZE);
  yield pattern(CHUNK_SIZE);
  throw new Error("the peer went away");
}

Deno.test("receiveFile() cut short by its stream leaves nothing behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      receiveFile(failing(), dir, "cut.bin", { size: 4 * CHUNK_SIZE }),
      { message: "the peer went away" },
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readFileChunks() closes the file when its reader stops early", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/f.bin`;
    await Deno.writeFile(path, pattern(5 * CHUNK_SIZE));
    for await (const chunk of readFileChunks(path)) {
      assert.equal(chunk.length, CHUNK_SIZE);
      break;
    }
    // The test sanitizers fail the test if a read or the file were left open.
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
