import assert from "node:assert/strict";
import { allocBytes, concatBytes, SMALL_BYTES } from "../../lib/shared/wire/bytes.ts";
import { encodeFrame, encodeShortLivedFrame } from "../../lib/shared/wire/encode_frame.ts";

Deno.test(
  "allocBytes() hands out zeroed arrays that never overlap",
  { permissions: "none" },
  () => {
    const arrays = Array.from({ length: 200 }, (_, i) => allocBytes(1 + (i % 700)));
    for (const [i, a] of arrays.entries()) {
      assert.ok(a.every((b) => b === 0), "zero-filled");
      a.fill(i % 256);
    }
    for (const [i, a] of arrays.entries()) {
      assert.ok(a.every((b) => b === i % 256), `array ${i} was overwritten by another`);
      assert.equal(a.byteOffset % 8, 0, "8-byte aligned");
    }
  },
);

Deno.test("allocBytes() gives a large array a buffer of its own", { permissions: "none" }, () => {
  const big = allocBytes(SMALL_BYTES + 1);
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, SMALL_BYTES + 1);
  assert.equal(allocBytes(0).length, 0);
});

Deno.test("what may wait in a send queue never shares a slab: encoded frames and joined batches", {
  permissions: "none",
}, () => {
  // One small array kept from a slab would keep all 64 KiB of it.
  const frame = encodeFrame({ sender: "Cool", payload: "Hi" });
  assert.equal(frame.byteOffset, 0);
  assert.equal(frame.buffer.byteLength, frame.length);
  const joined = concatBytes([frame, frame]);
  assert.equal(joined.buffer.byteLength, joined.length);
  const cheap = encodeShortLivedFrame({ payload: "Hi" });
  assert.ok(cheap.buffer.byteLength > cheap.length, "a short-lived frame is carved from a slab");
  assert.deepEqual(cheap, encodeFrame({ payload: "Hi" }));
});

Deno.test("concatBytes() copies, never aliases its input", { permissions: "none" }, () => {
  const source = new Uint8Array([1, 2, 3]);
  const joined = concatBytes([source, new Uint8Array([4]), source]);
  source[0] = 9;
  assert.deepEqual(joined, new Uint8Array([1, 2, 3, 4, 1, 2, 3]));
});
