import assert from "node:assert/strict";
import { encodeFrame, encodeFrameWith } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { FIXED_HEADER_SIZE } from "../../lib/shared/wire/layout.ts";
import { type ByteConn } from "../../lib/shared/net/byte_conn.ts";
import { FrameSender } from "../../lib/shared/net/frame_sender.ts";
import { FramePool, type PooledFrame } from "../../lib/shared/net/frame_pool.ts";
import { StallMonitor } from "../../lib/shared/net/stall_monitor.ts";

const CAPACITY = FIXED_HEADER_SIZE + 1024;

function dataFrame(pool: FramePool, fill: number, size = 1024): PooledFrame {
  const payload = new Uint8Array(size).fill(fill);
  return pool.frame((alloc) => encodeFrameWith({ flags: FLAG.STREAM, number: 7, payload }, alloc));
}

/** A connection whose writes wait until the test ends them, in order. */
function heldConn() {
  const written: Uint8Array[] = [];
  const waiting: PromiseWithResolvers<number>[] = [];
  const conn: ByteConn = {
    read: () => Promise.resolve(null),
    write(p) {
      written.push(p.slice());
      const write = Promise.withResolvers<number>();
      waiting.push(write);
      return write.promise.then(() => p.length);
    },
    close() {
      for (const write of waiting.splice(0)) write.reject(new Error("connection closed"));
    },
  };
  /** Resolves once a write is under way. */
  const started = async () => {
    while (waiting.length === 0) await new Promise((r) => setTimeout(r, 0));
  };
  /** Finishes the oldest write under way, once one has started. */
  const finishWrite = async () => {
    await started();
    waiting.shift()!.resolve(0);
  };
  return { conn, written, started, finishWrite };
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
  second.release();
  third.release();
});

Deno.test("a frame in a reused buffer is its own bytes only, whatever the old frame held", {
  permissions: "none",
}, () => {
  const pool = new FramePool(CAPACITY);
  const old = pool.frame((alloc) =>
    encodeFrameWith({
      flags: FLAG.ERROR | FLAG.STREAM,
      code: 0x1234,
      number: 0xdeadbeef,
      timestamp: 1_700_000_000_123,
      username: "someone",
      sender: "server",
      filename: "old.bin",
      sha256: new Uint8Array(32).fill(0xee),
      payload: new Uint8Array(900).fill(0xff),
    }, alloc)
  );
  old.release();
  const init = { flags: FLAG.STREAM, number: 7, payload: new Uint8Array(10).fill(9) };
  const fresh = pool.frame((alloc) => encodeFrameWith(init, alloc));
  assert.equal(fresh.bytes.buffer, old.bytes.buffer, "the same buffer");
  assert.deepEqual(fresh.bytes, encodeFrame(init));
  fresh.release();
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
  const { conn, written, started, finishWrite } = heldConn();
  const sender = new FrameSender(conn);
  const frame = dataFrame(pool, 5);
  const expected = frame.bytes.slice();
  assert.ok(sender.sendPooled(frame));
  frame.release(); // the encoder is done with it; the sender still holds it
  assert.equal(frame.holders, 1);
  assert.equal(sender.queuedBytes, expected.length);
  await started();
  assert.equal(frame.holders, 1, "held while its write is under way");
  assert.equal(pool.free, 0);
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

/** A pool of frames too big for two to share one write (256 KiB), as an upload's DATA frames. */
const BIG = FIXED_HEADER_SIZE + 200 * 1024;

Deno.test(
  "a sender whose write fails releases the frame written and those still queued, and takes no more",
  {
    permissions: "none",
  },
  async () => {
    const pool = new FramePool(BIG);
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
    const frames = [1, 2, 3].map((fill) => dataFrame(pool, fill, 200 * 1024));
    for (const frame of frames) assert.ok(sender.sendPooled(frame));
    for (const frame of frames) frame.release();
    await sender.flush();
    assert.equal(writes, 1, "the first write failed; the other two were still queued");
    assert.equal(errors.length, 1);
    assert.deepEqual(frames.map((f) => f.holders), [0, 0, 0]);
    assert.equal(pool.free, 3);
    const late = dataFrame(pool, 4, 200 * 1024);
    assert.equal(sender.sendPooled(late), false, "a failed sender queues nothing");
    assert.equal(late.holders, 1, "and holds nothing");
    late.release();
  },
);

Deno.test(
  "a stalled sender releases its queued frames at once, the one being written only once that write ends",
  {
    permissions: "none",
  },
  async () => {
    const pool = new FramePool(BIG);
    const { conn, started } = heldConn();
    const monitor = new StallMonitor(20);
    try {
      const sender = new FrameSender(conn, { stallMonitor: monitor, onError: () => {} });
      const frames = [1, 2, 3].map((fill) => dataFrame(pool, fill, 200 * 1024));
      for (const frame of frames) sender.sendPooled(frame);
      for (const frame of frames) frame.release();
      await started();
      // The monitor fails the sender and closes the connection, which ends the write under way.
      await sender.flush();
      assert.equal(sender.ok, false);
      assert.deepEqual(frames.map((f) => f.holders), [0, 0, 0]);
      assert.equal(pool.free, 3);
    } finally {
      monitor.stop();
    }
  },
);

Deno.test("a stalled sender keeps holding the frame of a write that has not ended", {
  permissions: "none",
}, async () => {
  const pool = new FramePool(BIG);
  const pending = Promise.withResolvers<number>();
  let closed = false;
  // A connection whose close does not end the write under way.
  const stuck: ByteConn = {
    read: () => Promise.resolve(null),
    write: () => pending.promise,
    close() {
      closed = true;
    },
  };
  const monitor = new StallMonitor(20);
  try {
    const sender = new FrameSender(stuck, { stallMonitor: monitor, onError: () => {} });
    const frames = [1, 2].map((fill) => dataFrame(pool, fill, 200 * 1024));
    for (const frame of frames) sender.sendPooled(frame);
    for (const frame of frames) frame.release();
    while (!closed) await new Promise((r) => setTimeout(r, 5));
    assert.equal(sender.ok, false);
    assert.deepEqual(frames.map((f) => f.holders), [1, 0], "the queued one is released");
    assert.equal(pool.free, 1, "the buffer the write still reads is not handed out");
    pending.reject(new Error("connection closed"));
    await sender.flush();
    assert.deepEqual(frames.map((f) => f.holders), [0, 0]);
    assert.equal(pool.free, 2);
  } finally {
    monitor.stop();
  }
});
