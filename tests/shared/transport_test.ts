import assert from "node:assert/strict";
import fc from "fast-check";
import { CODE, ProtocolError } from "../../lib/shared/wire/protocol_error.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { type FrameInit } from "../../lib/shared/wire/frame.ts";
import { type ByteConn, writeAll } from "../../lib/shared/net/byte_conn.ts";
import { closeGracefully, type HalfClosable } from "../../lib/shared/net/conn_helpers.ts";
import { FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { BODY_BUFFER_BYTES, FrameSender } from "../../lib/shared/net/frame_sender.ts";
import { concatBytes } from "../../lib/shared/wire/bytes.ts";

/** A connection that hands out `data` in reads of the given sizes, then ends. */
function scriptedConn(data: Uint8Array, sizes: number[] = []): ByteConn {
  let at = 0;
  let i = 0;
  return {
    read(p) {
      if (at >= data.length) return Promise.resolve(null);
      const want = sizes.length ? Math.max(1, sizes[i++ % sizes.length]) : data.length;
      const n = Math.min(want, p.length, data.length - at);
      p.set(data.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
    write: (p) => Promise.resolve(p.length),
    close() {},
  };
}

async function readAll(reader: FrameReader) {
  const out = [];
  for (let f = await reader.readFrame(); f; f = await reader.readFrame()) out.push(f);
  return out;
}

const frames: FrameInit[] = [
  { flags: FLAG.JOIN_ACCEPT, username: "Cool", number: 0 },
  {
    flags: FLAG.NEW_USER,
    username: "Cool",
    sender: "Server",
    payload: "Cool joined the chatroom.",
  },
  { sender: "Cool", payload: "Hi" },
  { sender: "Fun", payload: "x".repeat(70_000) },
];

Deno.test(
  "FrameReader reads two frames that arrive in one read",
  { permissions: "none" },
  async () => {
    const bytes = concatBytes(frames.slice(0, 2).map(encodeFrame));
    const got = await readAll(new FrameReader(scriptedConn(bytes)));
    assert.deepEqual(got.map((f) => f.flags), [FLAG.JOIN_ACCEPT, FLAG.NEW_USER]);
  },
);

Deno.test(
  "FrameReader reads the same frames whatever the read sizes",
  { permissions: "none" },
  async () => {
    const bytes = concatBytes(frames.map(encodeFrame));
    const expected = frames.map((f) => new TextDecoder().decode(encodeFrame(f)));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1 }),
        async (sizes) => {
          const got = await readAll(new FrameReader(scriptedConn(bytes, sizes)));
          assert.deepEqual(got.map((f) => new TextDecoder().decode(encodeFrame(f))), expected);
        },
      ),
      { numRuns: 100 },
    );
  },
);

Deno.test(
  "FrameReader reads frames split at every byte offset",
  { permissions: "none" },
  async () => {
    const bytes = concatBytes(frames.slice(0, 3).map(encodeFrame));
    for (let cut = 1; cut < bytes.length; cut++) {
      const got = await readAll(new FrameReader(scriptedConn(bytes, [cut, bytes.length])));
      assert.equal(got.length, 3, `split at ${cut}`);
    }
  },
);

Deno.test(
  "FrameReader reports a stream that ends mid-frame as TRUNCATED",
  { permissions: "none" },
  async () => {
    const bytes = encodeFrame({ payload: "Hello" });
    for (const cut of [5, bytes.length - 1]) {
      const reader = new FrameReader(scriptedConn(bytes.subarray(0, cut)));
      await assert.rejects(reader.readFrame(), (e: ProtocolError) => {
        assert.equal(e.code, CODE.TRUNCATED);
        return true;
      });
    }
  },
);

Deno.test(
  "FrameReader.readWholePayload() reads the same payloads whatever the read sizes, within its cap",
  { permissions: "none" },
  async () => {
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff);
    const bytes = concatBytes([
      encodeFrame({ flags: FLAG.STREAM, number: 1, payload: big }),
      encodeFrame({ flags: FLAG.STREAM, number: 1, payload: "tail" }),
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1 }),
        async (sizes) => {
          const reader = new FrameReader(scriptedConn(bytes, sizes));
          const first = await reader.readHeader();
          assert.deepEqual(await reader.readWholePayload(first!, big.length), big);
          const second = await reader.readHeader();
          assert.equal(
            new TextDecoder().decode(await reader.readWholePayload(second!, 4)),
            "tail",
          );
          assert.equal(await reader.readHeader(), null);
        },
      ),
      { numRuns: 50 },
    );
    const over = new FrameReader(scriptedConn(bytes));
    await assert.rejects(
      over.readWholePayload((await over.readHeader())!, big.length - 1),
      (e: ProtocolError) => e.code === CODE.PAYLOAD_TOO_LARGE,
    );
    const cut = new FrameReader(scriptedConn(bytes.subarray(0, 200_000)));
    await assert.rejects(
      cut.readWholePayload((await cut.readHeader())!, big.length),
      (e: ProtocolError) => e.code === CODE.TRUNCATED,
    );
  },
);

Deno.test(
  "FrameReader returns null on a clean end between frames",
  { permissions: "none" },
  async () => {
    const reader = new FrameReader(scriptedConn(new Uint8Array(0)));
    assert.equal(await reader.readHeader(), null);
  },
);

Deno.test("FrameReader times out a frame that stalls half-sent, but not an idle peer", {
  permissions: "none",
}, async () => {
  const bytes = encodeFrame({ payload: "Hello" }).subarray(0, 10);
  let served = false;
  const pending: ((n: number | null) => void)[] = [];
  const conn: ByteConn = {
    read(p) {
      if (!served) {
        served = true;
        p.set(bytes);
        return Promise.resolve(bytes.length);
      }
      return new Promise((resolve) => pending.push(resolve));
    },
    write: (p) => Promise.resolve(p.length),
    close: () => pending.forEach((r) => r(null)),
  };
  const reader = new FrameReader(conn, { stallTimeoutMs: 50 });
  await assert.rejects(reader.readHeader(), (e: ProtocolError) => e.code === CODE.TIMEOUT);
  conn.close();

  // An idle peer (no partial frame) is never timed out: the read is still pending.
  const idle: ByteConn = {
    read: () => new Promise((resolve) => pending.push(resolve)),
    write: (p) => Promise.resolve(p.length),
    close: () => pending.splice(0).forEach((r) => r(null)),
  };
  const idleReader = new FrameReader(idle, { stallTimeoutMs: 20 });
  const result = idleReader.readHeader();
  const winner = await Promise.race([
    result.then(() => "read"),
    new Promise((r) => setTimeout(() => r("still waiting"), 100)),
  ]);
  assert.equal(winner, "still waiting");
  idle.close();
  assert.equal(await result, null);
});

Deno.test("writeAll() loops over short writes", { permissions: "none" }, async () => {
  const written: number[] = [];
  const conn: ByteConn = {
    read: () => Promise.resolve(null),
    write(p) {
      const n = Math.min(3, p.length);
      written.push(...p.subarray(0, n));
      return Promise.resolve(n);
    },
    close() {},
  };
  await writeAll(conn, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.deepEqual(written, [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test(
  "FrameSender keeps frames in order and coalesces small ones",
  { permissions: "none" },
  async () => {
    const writes: Uint8Array[] = [];
    const gate = Promise.withResolvers<void>();
    const conn: ByteConn = {
      read: () => Promise.resolve(null),
      async write(p) {
        await gate.promise;
        writes.push(p.slice());
        return p.length;
      },
      close() {},
    };
    const sender = new FrameSender(conn);
    const chunks = [new Uint8Array([9, 9]), new Uint8Array([8])];
    sender.send(new Uint8Array([1]));
    sender.send(new Uint8Array([2]));
    sender.send(new Uint8Array([3]), async function* () {
      yield* chunks;
    });
    sender.send(new Uint8Array([4]));
    gate.resolve();
    await sender.flush();
    assert.deepEqual(concatBytes(writes), new Uint8Array([1, 2, 3, 9, 9, 8, 4]));
    assert.ok(writes.length < 7, `expected coalescing, got ${writes.length} writes`);
  },
);

/** A connection whose writes never complete: what is queued stays queued. */
function stuckConn(): ByteConn {
  return { read: () => Promise.resolve(null), write: () => new Promise(() => {}), close() {} };
}

Deno.test("FrameSender refuses frames past its budget, counting the one being written", {
  permissions: "none",
}, async () => {
  const conn = stuckConn();
  const sender = new FrameSender(conn, { maxQueueBytes: 100 });
  assert.equal(sender.send(new Uint8Array(60)), true);
  await Promise.resolve(); // the sender starts writing after this turn's frames are queued
  assert.equal(sender.queuedBytes, 60, "a frame being written is still held");
  assert.equal(sender.send(new Uint8Array(40)), true, "exactly the budget");
  assert.equal(sender.send(new Uint8Array(1)), false);
});

Deno.test("FrameSender accepts one frame over its budget into an empty queue", {
  permissions: "none",
}, () => {
  const conn = stuckConn();
  const sender = new FrameSender(conn, { maxQueueBytes: 100 });
  assert.equal(sender.send(new Uint8Array(500)), true);
  assert.equal(sender.send(new Uint8Array(1)), false);
});

Deno.test("FrameSender charges a streamed payload its read buffers, not its length", {
  permissions: "none",
}, async () => {
  const conn = stuckConn();
  const sender = new FrameSender(conn, { maxQueueBytes: 2 * BODY_BUFFER_BYTES + 10_000 });
  const header = (size: number) =>
    encodeFrame({ flags: FLAG.ATTACHMENT, filename: "a", payloadLength: size });
  const body = async function* () {};
  assert.equal(sender.send(header(800), body), true);
  assert.equal(sender.queuedBytes, header(800).length + 800, "a small one costs its length");
  await Promise.resolve();
  assert.equal(sender.send(header(2 ** 30), body), true, "a GiB costs its buffers");
  assert.equal(sender.send(header(2 ** 30), body), true);
  assert.equal(sender.send(header(2 ** 30), body), false, "three waiting are over the budget");
  assert.equal(sender.send(encodeFrame({ payload: "chat" })), true, "a small frame still fits");
});
Deno.test("FrameSender fails a write that makes no progress, but never times an idle peer", {
  permissions: "none",
}, async () => {
  const stuck = Promise.withResolvers<number>();
  let closed = 0;
  const conn: ByteConn = {
    read: () => Promise.resolve(null),
    write: () => stuck.promise,
    close() {
      closed++;
    },
  };
  const failed = Promise.withResolvers<unknown>();
  const sender = new FrameSender(conn, { writeTimeoutMs: 30, onError: failed.resolve });
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(sender.ok, "nothing to write: not timed");
  sender.send(encodeFrame({ payload: "hello" }));
  const error = await failed.promise;
  assert.ok(error instanceof ProtocolError);
  assert.equal(error.code, CODE.TIMEOUT);
  assert.match(error.message, /no byte was taken for 30 ms/);
  assert.equal(sender.ok, false);
  assert.equal(closed, 1, "the sender closes the connection, ending the stuck write");
  assert.equal(sender.send(encodeFrame({ payload: "more" })), false);
  stuck.resolve(0);
  await sender.flush(); // the pump ends once the write does
});

Deno.test("FrameSender with a write timeout still writes everything to a slow reader", {
  permissions: "none",
}, async () => {
  const written: number[] = [];
  const conn: ByteConn = {
    read: () => Promise.resolve(null),
    write: (p) =>
      new Promise((r) =>
        setTimeout(() => {
          written.push(...p.subarray(0, 3));
          r(Math.min(3, p.length));
        }, 1)
      ),
    close() {},
  };
  const sender = new FrameSender(conn, { writeTimeoutMs: 200 });
  for (let i = 0; i < 5; i++) sender.send(new Uint8Array(10).fill(i));
  await sender.flush();
  assert.ok(sender.ok);
  assert.deepEqual(written, [0, 1, 2, 3, 4].flatMap((i) => Array(10).fill(i)));
});

function halfClosable(reads: (Uint8Array | null | "hang")[]) {
  const log: string[] = [];
  const conn: HalfClosable = {
    read(p) {
      const next = reads.shift() ?? null;
      if (next === "hang") return new Promise(() => {});
      if (next === null) return Promise.resolve(null);
      p.set(next);
      return Promise.resolve(next.length);
    },
    write: (p) => Promise.resolve(p.length),
    closeWrite() {
      log.push("closeWrite");
      return Promise.resolve();
    },
    close() {
      log.push("close");
    },
  };
  return { conn, log };
}

Deno.test("closeGracefully() half-closes, drains what the peer still sends, then closes", {
  permissions: "none",
}, async () => {
  const { conn, log } = halfClosable([new Uint8Array(100), new Uint8Array(50), null]);
  await closeGracefully(conn);
  assert.deepEqual(log, ["closeWrite", "close"]);
});

Deno.test("closeGracefully() gives up on a peer that never closes, in bounded time and bytes", {
  permissions: "none",
}, async (t) => {
  await t.step("silent peer", async () => {
    const { conn, log } = halfClosable(["hang"]);
    const started = Date.now();
    await closeGracefully(conn, { timeoutMs: 30 });
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(log, ["closeWrite", "close"]);
  });
  await t.step("endless peer", async () => {
    const { conn, log } = halfClosable(Array.from({ length: 100 }, () => new Uint8Array(1000)));
    await closeGracefully(conn, { maxBytes: 5000 });
    assert.deepEqual(log, ["closeWrite", "close"]);
  });
});

Deno.test(
  "FrameReader.readPayload() holds memory for the bytes that arrived, not for those announced",
  { permissions: "none" },
  async () => {
    // 40 peers each announce a 1 MiB payload (the most a non-attachment frame may have), then send
    // 10 bytes of it and nothing more.
    const peers = 40;
    const header = encodeFrame({ sender: "x", payloadLength: 1024 * 1024 });
    const start = concatBytes([header, new Uint8Array(10)]);
    const hang = Promise.withResolvers<number | null>();
    const allWaiting = Promise.withResolvers<void>();
    let waiting = 0;
    const readers = Array.from({ length: peers }, () => {
      let sent = false;
      const conn: ByteConn = {
        read(p) {
          if (sent) {
            if (++waiting === peers) allWaiting.resolve();
            return hang.promise;
          }
          sent = true;
          p.set(start);
          return Promise.resolve(start.length);
        },
        write: (p) => Promise.resolve(p.length),
        close() {},
      };
      return new FrameReader(conn, { stallTimeoutMs: 60_000 });
    });
    const before = Deno.memoryUsage().external;
    const reads = readers.map(async (reader) => {
      const h = await reader.readHeader();
      return reader.readPayload(h!);
    });
    await allWaiting.promise; // every reader has its header and 10 bytes, and waits for more
    const grown = Deno.memoryUsage().external - before;
    // Allocated up front that would be 40 × 1 MiB; as the bytes arrive, at most 64 KiB each.
    assert.ok(grown < 8 * 1024 * 1024, `${peers} stalled payloads hold ${grown} bytes`);
    hang.resolve(null); // the peers go away
    for (const read of reads) {
      await assert.rejects(read, (e) => e instanceof ProtocolError && e.code === CODE.TRUNCATED);
    }
  },
);

Deno.test("FrameSender charges a stream what it holds while it runs, and skips one cancelled", {
  permissions: "none",
}, async () => {
  const writes: Uint8Array[] = [];
  const conn: ByteConn = {
    read: () => Promise.resolve(null),
    write: (p) => {
      writes.push(p.slice());
      return Promise.resolve(p.length);
    },
    close() {},
  };
  const sender = new FrameSender(conn, { maxQueueBytes: 1000 });
  const seen: number[] = [];
  const cancel = new AbortController();
  sender.stream(async function* (hold) {
    seen.push(sender.queuedBytes);
    hold(900);
    seen.push(sender.queuedBytes);
    yield new Uint8Array([1]);
    seen.push(sender.queuedBytes);
    hold(10);
    yield new Uint8Array([2]);
  });
  assert.equal(sender.queuedBytes, 0, "a stream waiting holds nothing");
  sender.stream(async function* () {
    yield new Uint8Array([9]);
  }, { signal: cancel.signal });
  sender.send(new Uint8Array([3]));
  cancel.abort();
  await sender.flush();
  assert.deepEqual(seen, [1, 901, 901], "its hold, plus the frame queued behind it");
  assert.deepEqual(concatBytes(writes), new Uint8Array([1, 2, 3]), "the cancelled one is skipped");
  assert.equal(sender.queuedBytes, 0, "all returned once written");
});
