import assert from "node:assert/strict";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { type ByteConn, CHUNK_SIZE, CHUNK_VALID_FOR } from "../../lib/shared/net/byte_conn.ts";
import { FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { FrameSender } from "../../lib/shared/net/frame_sender.ts";
import {
  FRAME_LOG_CHUNK,
  FRAME_LOG_CHUNK_BYTES,
  FrameLog,
} from "../../lib/shared/net/frame_log.ts";

/** A connection that hands out `bytes` in reads of the given sizes, in turn. */
function fakeConn(bytes: Uint8Array, sizes: number[]): ByteConn {
  let at = 0;
  let turn = 0;
  return {
    read(p: Uint8Array): Promise<number | null> {
      if (at === bytes.length) return Promise.resolve(null);
      const n = Math.min(p.length, sizes[turn++ % sizes.length], bytes.length - at);
      p.set(bytes.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
    write: (p) => Promise.resolve(p.length),
    close() {},
  };
}

function pattern(size: number): Uint8Array {
  return new Uint8Array(size).map((_, i) => (i * 131 + (i >> 11)) & 0xff);
}

Deno.test("payloadChunks() streams a large payload exactly, however the reads split it", {
  permissions: "none",
}, async (t) => {
  const payload = pattern(3 * CHUNK_SIZE + 12_345);
  const header = encodeFrame({
    flags: FLAG.ATTACHMENT,
    filename: "big.bin",
    payloadLength: payload.length,
  });
  const next = encodeFrame({ payload: "after the attachment" });
  const stream = new Uint8Array(header.length + payload.length + next.length);
  stream.set(header);
  stream.set(payload, header.length);
  stream.set(next, header.length + payload.length);
  for (const sizes of [[1], [7, 65_536, 3], [65_536], [CHUNK_SIZE * 2], [100_000, 1]]) {
    await t.step(`reads of ${sizes.join(", ")} bytes`, async () => {
      const reader = new FrameReader(fakeConn(stream, sizes));
      const got = await reader.readHeader();
      assert.equal(got?.payloadLength, payload.length);
      const chunks: Uint8Array[] = [];
      for await (const chunk of reader.payloadChunks()) {
        assert.ok(chunk.length <= CHUNK_SIZE, `chunk of ${chunk.length} bytes`);
        chunks.push(chunk.slice()); // chunks share buffers: keep copies
      }
      const joined = new Uint8Array(payload.length);
      let at = 0;
      for (const chunk of chunks) {
        joined.set(chunk, at);
        at += chunk.length;
      }
      assert.equal(at, payload.length);
      assert.deepEqual(joined, payload);
      const after = await reader.readFrame();
      assert.equal(new TextDecoder().decode(after?.payload), "after the attachment");
      assert.equal(await reader.readHeader(), null);
    });
  }
});

Deno.test(
  "payloadChunks() rejects a large payload cut short",
  { permissions: "none" },
  async () => {
    const header = encodeFrame({ flags: FLAG.ATTACHMENT, payloadLength: 2 * CHUNK_SIZE });
    const stream = new Uint8Array(header.length + CHUNK_SIZE + 10);
    stream.set(header);
    const reader = new FrameReader(fakeConn(stream, [65_536]));
    await reader.readHeader();
    await assert.rejects(
      async () => {
        for await (const _ of reader.payloadChunks()) { /* drain */ }
      },
      { name: "ProtocolError", message: /stream ended with \d+ bytes missing/ },
    );
  },
);

Deno.test(
  "readFrame() reads many small frames that arrived in one read",
  { permissions: "none" },
  async () => {
    const frames = Array.from({ length: 50 }, (_, i) =>
      encodeFrame({
        flags: i % 2 ? 0 : FLAG.NEW_USER,
        username: i % 2 ? "" : `user${i}`,
        sender: i % 3 ? "Cool" : "",
        payload: `line ${i}`,
      }));
    const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const frame of frames) {
      stream.set(frame, at);
      at += frame.length;
    }
    const reader = new FrameReader(fakeConn(stream, [stream.length]));
    for (let i = 0; i < 50; i++) {
      const frame = await reader.readFrame();
      assert.equal(new TextDecoder().decode(frame?.payload), `line ${i}`);
      assert.equal(frame?.username, i % 2 ? "" : `user${i}`);
      assert.equal(frame?.sender, i % 3 ? "Cool" : "");
      assert.equal(frame?.filename, "");
    }
    assert.equal(await reader.readFrame(), null);
  },
);

Deno.test("FrameReader reads a busy stream of small frames in growing reads", {
  permissions: "none",
}, async () => {
  const frame = encodeFrame({ sender: "Cool", payload: "x".repeat(200) });
  const stream = new Uint8Array(frame.length * 2000);
  for (let i = 0; i < 2000; i++) stream.set(frame, i * frame.length);
  const offered: number[] = [];
  const conn = fakeConn(stream, [1 << 30]);
  const reader = new FrameReader({
    read: (p) => {
      offered.push(p.length);
      return conn.read(p);
    },
    write: conn.write,
    close() {},
  });
  for (let i = 0; i < 2000; i++) assert.equal((await reader.readFrame())?.payload.length, 200);
  assert.ok(offered[0] <= 4096, `first read offered ${offered[0]} bytes`);
  assert.ok(Math.max(...offered) > 32 * 1024, `largest read offered ${Math.max(...offered)} bytes`);
});

Deno.test("FrameSender writes the frames queued in one turn in one write, in order", {
  permissions: "none",
}, async () => {
  const writes: Uint8Array[] = [];
  const sender = new FrameSender({
    read: () => Promise.resolve(null),
    write: (p) => {
      writes.push(p.slice());
      return Promise.resolve(p.length);
    },
    close() {},
  });
  const frames = ["one", "two", "three"].map((payload) => encodeFrame({ payload }));
  const body = new Uint8Array([1, 2, 3, 4]);
  const header = encodeFrame({ flags: FLAG.ATTACHMENT, payloadLength: body.length });
  sender.send(frames[0]);
  sender.send(frames[1]);
  sender.send(header, async function* () {
    yield body;
  });
  sender.send(frames[2]);
  await sender.flush();
  assert.deepEqual(writes, [
    new Uint8Array([...frames[0], ...frames[1]]),
    header,
    body,
    frames[2],
  ]);
  assert.equal(sender.queuedBytes, 0);
});

Deno.test("FrameSenders that queued the same broadcast frames each write exactly their own", {
  permissions: "none",
}, async () => {
  const written = new Map<string, Uint8Array[]>();
  const sender = (name: string) => {
    written.set(name, []);
    return new FrameSender({
      read: () => Promise.resolve(null),
      write: (p) => {
        written.get(name)!.push(p.slice());
        return Promise.resolve(p.length);
      },
      close() {},
    });
  };
  const [a, b, c] = [sender("a"), sender("b"), sender("c")];
  const [f1, f2, f3] = ["Fun joined", "Fire joined", "Sad joined"].map((payload) =>
    encodeFrame({ payload })
  );
  for (const s of [a, b]) {
    s.send(f1);
    s.send(f2);
  }
  c.send(f1);
  c.send(f3);
  await Promise.all([a.flush(), b.flush(), c.flush()]);
  assert.deepEqual(written.get("a"), [new Uint8Array([...f1, ...f2])]);
  assert.deepEqual(written.get("b"), [new Uint8Array([...f1, ...f2])]);
  assert.deepEqual(written.get("c"), [new Uint8Array([...f1, ...f3])]);
});

/** The buffers payloadChunks() gives for each of `frames` (read one after another), and their bytes. */
async function chunksOf(frames: Uint8Array[], keepChunkBuffers: boolean) {
  const wire = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    wire.set(f, at);
    at += f.length;
  }
  const reader = new FrameReader(fakeConn(wire, [CHUNK_SIZE * 2]), { keepChunkBuffers });
  const buffers: ArrayBufferLike[] = [];
  const payloads: Uint8Array[] = [];
  for (;;) {
    const header = await reader.readHeader();
    if (!header) return { buffers, payloads };
    const parts: Uint8Array[] = [];
    for await (const chunk of reader.payloadChunks()) {
      buffers.push(chunk.buffer);
      parts.push(chunk.slice());
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
    payloads.push(bytes);
  }
}

Deno.test(
  "keepChunkBuffers: STREAM-sized payloads one after another reuse the reader's chunk buffers",
  {
    permissions: "none",
  },
  async () => {
    const data = [100_000, 200_000, 150_000, 262_144, 1, 90_000, 200_000, 120_000].map((n, i) =>
      pattern(n).map((b) => b ^ i)
    );
    const frames = data.map((payload) => encodeFrame({ flags: FLAG.STREAM, number: 1, payload }));
    const kept = await chunksOf(frames, true);
    assert.deepEqual(kept.payloads, data, "every payload exact");
    const kinds = new Set(kept.buffers).size;
    assert.ok(kinds <= CHUNK_VALID_FOR + 1, `${kinds} buffers for ${data.length} payloads`);
    const fresh = await chunksOf(frames, false);
    assert.deepEqual(fresh.payloads, kept.payloads);
    assert.equal(new Set(fresh.buffers).size, fresh.buffers.length, "without it, new buffers each");
  },
);

/** A sender whose writes are recorded (copied) into `writes`, taking `take` bytes a call. */
function recordingSender(
  writes: Uint8Array[],
  options: { take?: number; maxQueueBytes?: number; buffers?: ArrayBufferLike[] } = {},
): FrameSender {
  return new FrameSender({
    read: () => Promise.resolve(null),
    write: (p) => {
      const n = Math.min(p.length, options.take ?? p.length);
      options.buffers?.push(p.buffer);
      writes.push(p.slice(0, n));
      return Promise.resolve(n);
    },
    close() {},
  }, { maxQueueBytes: options.maxQueueBytes });
}

function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

Deno.test(
  "FrameSenders fed from one FrameLog each write exactly their own frames, in order, private ones between",
  {
    permissions: "none",
  },
  async () => {
    const log = new FrameLog();
    const names = ["a", "b", "c"];
    const writes = new Map(names.map((n) => [n, [] as Uint8Array[]]));
    // b takes 1,000 bytes a write, so it falls behind and its runs get long.
    const senders = new Map(
      names.map((
        n,
      ) => [n, recordingSender(writes.get(n)!, { take: n === "b" ? 1000 : undefined })]),
    );
    const expected = new Map(names.map((n) => [n, [] as Uint8Array[]]));
    // More frames than a log chunk holds, and than one write takes.
    for (let i = 0; i < FRAME_LOG_CHUNK * 2 + 50; i++) {
      const to = i % 7 === 3 ? ["a", "c"] : names;
      const frame = encodeFrame({ sender: "Cool", payload: `line ${i} ${"x".repeat(i % 300)}` });
      log.append(frame);
      for (const n of to) {
        assert.ok(senders.get(n)!.sendLogged(log));
        expected.get(n)!.push(frame);
      }
      if (i % 100 === 5) {
        const own = encodeFrame({ flags: FLAG.ERROR, payload: `private ${i}` });
        senders.get("c")!.send(own);
        expected.get("c")!.push(own);
      }
      if (i % 500 === 0) await Promise.resolve();
    }
    const body = new Uint8Array([9, 8, 7]);
    const header = encodeFrame({ flags: FLAG.ATTACHMENT, payloadLength: body.length });
    senders.get("a")!.send(header, async function* () {
      yield body;
    });
    expected.get("a")!.push(header, body);
    const last = encodeFrame({ payload: "after the file" });
    log.append(last);
    senders.get("a")!.sendLogged(log);
    expected.get("a")!.push(last);
    await Promise.all([...senders.values()].map((s) => s.flush()));
    for (const n of names) {
      assert.deepEqual(joined(writes.get(n)!), joined(expected.get(n)!), `what ${n} wrote`);
      assert.equal(senders.get(n)!.queuedBytes, 0);
      for (const w of writes.get(n)!) assert.ok(w.length <= CHUNK_SIZE, `a write of ${w.length}`);
    }
  },
);

Deno.test(
  "FrameSenders at the same place in a FrameLog write one shared batch; the budget counts logged frames",
  {
    permissions: "none",
  },
  async () => {
    const log = new FrameLog();
    const buffers: ArrayBufferLike[] = [];
    const [wa, wb] = [[], []] as Uint8Array[][];
    const a = recordingSender(wa, { buffers });
    const b = recordingSender(wb, { buffers });
    const frames = ["Fun joined", "Fire joined", "Sad joined"].map((payload) =>
      encodeFrame({ payload })
    );
    for (const frame of frames) {
      log.append(frame);
      a.sendLogged(log);
      b.sendLogged(log);
    }
    await Promise.all([a.flush(), b.flush()]);
    assert.deepEqual(wa, [joined(frames)]);
    assert.deepEqual(wb, [joined(frames)]);
    assert.equal(buffers.length, 2);
    assert.equal(buffers[0], buffers[1], "joined once, written twice");

    const small = recordingSender([], { maxQueueBytes: 100 });
    const line = encodeFrame({ payload: "x".repeat(30) });
    let accepted = 0;
    for (let i = 0; i < 10; i++) {
      log.append(line);
      if (small.sendLogged(log)) accepted++;
    }
    assert.equal(accepted, Math.floor(100 / line.length));
    assert.equal(small.queuedBytes, accepted * line.length);
    await small.flush();
    assert.equal(small.queuedBytes, 0);
  },
);

Deno.test(
  "FrameLog starts a new chunk after FRAME_LOG_CHUNK frames or FRAME_LOG_CHUNK_BYTES bytes",
  {
    permissions: "none",
  },
  () => {
    const log = new FrameLog();
    const first = log.frames;
    const small = new Uint8Array(10);
    for (let i = 0; i < FRAME_LOG_CHUNK; i++) log.append(small);
    assert.equal(log.frames, first);
    log.append(small);
    assert.notEqual(log.frames, first, "a full chunk is not added to");
    assert.equal(log.frames.length, 1);
    const second = log.frames;
    const big = new Uint8Array(FRAME_LOG_CHUNK_BYTES / 2);
    log.append(big);
    log.append(big);
    assert.equal(log.frames, second, "the frame that passes the bytes still goes in");
    log.append(small);
    assert.notEqual(log.frames, second);
    assert.deepEqual(log.frames, [small]);
  },
);
