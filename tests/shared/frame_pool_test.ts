import assert from "node:assert/strict";
import { encodeFrame, encodeFrameWith } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { FIXED_HEADER_SIZE } from "../../lib/shared/wire/layout.ts";
import { type ByteConn } from "../../lib/shared/net/byte_conn.ts";
import { FrameSender } from "../../lib/shared/net/frame_sender.ts";
import { FramePool, type PooledFrame } from "../../lib/shared/net/frame_pool.ts";

const CAPACITY = FIXED_HEADER_SIZE + 1024;

function dataFrame(pool: FramePool, fill: number, size = 1024): PooledFrame {
  const payload = new Uint8Array(size).fill(fill);
  return pool.frame((alloc) => encodeFrameWith({ flags: FLAG.STREAM, number: 7, payload }, alloc));
}

/** A connection whose writes wait until the test lets them finish, in order. */
function heldConn() {
  const written: Uint8Array[] = [];
  const waiting: (() => void)[] = [];
  const conn: ByteConn = {
    read: () => Promise.resolve(null),
    write(p) {
      written.push(p.slice());
      return new Promise((resolve) => waiting.push(() => resolve(p.length)));
    },
    close() {},
  };
  return {
    conn,
    written,
    /** Finishes the oldest write under way, once one has started. */
    async finishWrite() {
      while (waiting.length === 0) await new Promise((r) => setTimeout(r, 0));
      waiting.shift()!();
    },
  };
}

Deno.test("a pooled frame encodes exactly the bytes encodeFrame() gives, in the pool's buffer", {
  permissions: "none",
}, () => {
  const pool = new FramePool(CAPACITY);
  const payload = new Uint8Array(1000).map((_, i) => i);
  const init = { flags: FLAG.STREAM, number: 3, payload };
  const frame = pool.frame((alloc) => encodeFrameWith(init, alloc));
  assert.deepEqual(frame.bytes, encodeFrame(init));
  assert.equal(frame.bytes.buffer.byteLength, CAPACITY);
  assert.equal(frame.holders, 1);
});

Deno.test("a pooled buffer is used again only once every holder has released it", {
  permissions: "none",
}, () => {
  const pool = new FramePool(CAPACITY);
  const first = dataFrame(pool, 1);
  first.hold();
  first.release();
  assert.equal(pool.free, 0, "still held once");
  const second = dataFrame(pool, 2);
  assert.notEqual(second.bytes.buffer, first.bytes.buffer, "a held buffer is not handed out");
  assert.ok(first.bytes.subarray(FIXED_HEADER_SIZE).every((b) => b === 1), "its bytes are intact");
  first.release();
  assert.equal(first.holders, 0);
  assert.equal(pool.free, 1);
  const third = dataFrame(pool, 3);
  assert.equal(third.bytes.buffer, first.bytes.buffer, "the released buffer is used again");
  assert.equal(pool.free, 0);
  // A shorter frame in a reused buffer is its own bytes only, none of the old frame's.
  third.release();
  const short = dataFrame(pool, 9, 10);
  assert.equal(short.bytes.buffer, first.bytes.buffer);
  assert.deepEqual(
    short.bytes,
    encodeFrame({ flags: FLAG.STREAM, number: 7, payload: new Uint8Array(10).fill(9) }),
  );
  second.release();
  short.release();
});

Deno.test(
  "a pool keeps at most `keep` free buffers; a frame too big for them is refused with its size",
  {
    permissions: "none",
  },
  () => {
    const pool = new FramePool(CAPACITY, 2);
    const frames = [dataFrame(pool, 1), dataFrame(pool, 2), dataFrame(pool, 3)];
    for (const frame of frames) frame.release();
    assert.equal(pool.free, 2);
    assert.throws(
      () => dataFrame(pool, 4, 2000),
      (error: Error) =>
        error instanceof RangeError &&
        error.message.includes(`${FIXED_HEADER_SIZE + 2000} bytes`) &&
        error.message.includes(`hold ${CAPACITY}`),
    );
    assert.equal(pool.free, 2, "the refused frame took no buffer");
  },
);

Deno.test("a pooled frame cannot be released twice or held after its last release", {
  permissions: "none",
}, () => {
  const pool = new FramePool(CAPACITY);
  const frame = dataFrame(pool, 1);
  frame.release();
  assert.throws(() => frame.release(), /released? a pooled frame twice/);
  assert.throws(() => frame.hold(), /already released/);
  assert.equal(pool.free, 1, "given back once");
});

Deno.test("a sender holds a pooled frame until its write is over, then releases it", {
  permissions: "none",
}, async () => {
  const pool = new FramePool(CAPACITY);
  const { conn, written, finishWrite } = heldConn();
  const sender = new FrameSender(conn);
  const frame = dataFrame(pool, 5);
  const expected = frame.bytes.slice();
  assert.ok(sender.sendPooled(frame));
  frame.release(); // the encoder is done with it; the sender still holds it
  assert.equal(frame.holders, 1);
  assert.equal(sender.queuedBytes, expected.length);
  await finishWrite();
  await sender.flush();
  assert.equal(frame.holders, 0, "released once written");
  assert.equal(pool.free, 1);
  assert.deepEqual(written, [expected]);
  assert.equal(sender.queuedBytes, 0);
});

Deno.test("pooled frames joined with small frames into one write are released after it", {
  permissions: "none",
}, async () => {
  const pool = new FramePool(CAPACITY);
  const { conn, written, finishWrite } = heldConn();
  const sender = new FrameSender(conn);
  const line = encodeFrame({ payload: "a chat line between two DATA frames" });
  const a = dataFrame(pool, 1, 100);
  const b = dataFrame(pool, 2, 100);
  const expected = new Uint8Array([...a.bytes, ...line, ...b.bytes]);
  sender.sendPooled(a);
  sender.send(line);
  sender.sendPooled(b);
  a.release();
  b.release();
  await finishWrite();
  await sender.flush();
  assert.deepEqual(written, [expected], "one write of the three");
  assert.deepEqual([a.holders, b.holders, pool.free], [0, 0, 2]);
});

Deno.test(
  "a sender whose connection fails releases every pooled frame it held, and takes no more",
  {
    permissions: "none",
  },
  async () => {
    const pool = new FramePool(CAPACITY);
    let writes = 0;
    const failing: ByteConn = {
      read: () => Promise.resolve(null),
      write: () => {
        writes++;
        return Promise.reject(new Error("connection reset"));
      },
      close() {},
    };
    const errors: unknown[] = [];
    const sender = new FrameSender(failing, { onError: (error) => errors.push(error) });
    const frames = [dataFrame(pool, 1), dataFrame(pool, 2), dataFrame(pool, 3)];
    for (const frame of frames) assert.ok(sender.sendPooled(frame));
    for (const frame of frames) frame.release();
    await sender.flush();
    assert.equal(writes, 1);
    assert.equal(errors.length, 1);
    assert.deepEqual(frames.map((f) => f.holders), [0, 0, 0], "the one written and those queued");
    assert.equal(pool.free, 3);
    const late = dataFrame(pool, 4);
    assert.equal(sender.sendPooled(late), false, "a failed sender queues nothing");
    assert.equal(late.holders, 1, "and holds nothing");
    late.release();
  },
);
