import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { writeAll } from "../../lib/shared/net/byte_conn.ts";
import {
  BUSY_READ_BUFFER,
  FrameReader,
  IDLE_READ_BUFFER,
} from "../../lib/shared/net/frame_reader.ts";

/** Both ends of a real TCP connection on 127.0.0.1. */
async function tcpPair(): Promise<{ client: Deno.TcpConn; server: Deno.TcpConn }> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  client.setNoDelay(true);
  return { client, server };
}

/** A payload whose bytes say where they are, so a shifted or stale byte shows. */
function payloadOf(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** One frame a test sends: its payload size, and how its bytes are cut into writes. */
interface Sent {
  size: number;
  sender: string;
  cuts: number[];
}

const sentArb: fc.Arbitrary<Sent> = fc.record({
  size: fc.oneof(
    fc.integer({ min: 0, max: 600 }),
    fc.integer({ min: 600, max: 70_000 }),
    fc.integer({ min: 70_000, max: 300_000 }),
  ),
  sender: fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
  cuts: fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 4 }),
});

/** Writes `bytes` in pieces cut at the sizes in `cuts` (the rest in one write). */
async function writeInPieces(conn: Deno.TcpConn, bytes: Uint8Array, cuts: number[]) {
  let at = 0;
  for (const cut of cuts) {
    if (at >= bytes.length) break;
    await writeAll(conn, bytes.subarray(at, Math.min(bytes.length, at + cut)));
    at += cut;
  }
  if (at < bytes.length) await writeAll(conn, bytes.subarray(at));
}

const SMALL = { flags: FLAG.NEW_USER, username: "quiet", payload: "x".repeat(100) };

Deno.test(
  "FrameReader reads frames of every size over TCP, in bursts or one by one, awaited or taken from its buffer, and its buffer goes back to the idle size when the stream is quiet",
  async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sentArb, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        async (sent, burst, now) => {
          const { client, server } = await tcpPair();
          try {
            const reader = new FrameReader(server);
            const encoded = sent.map((s, i) =>
              encodeFrame({ sender: s.sender, payload: payloadOf(s.size, i) })
            );
            const writing = (async () => {
              if (burst) {
                // Everything at once: the reader's buffer grows to keep up.
                for (let i = 0; i < sent.length; i++) {
                  await writeInPieces(client, encoded[i], sent[i].cuts);
                }
              }
            })();
            for (let i = 0; i < sent.length; i++) {
              // One by one: each frame arrives while the reader waits between frames.
              const write = burst ? writing : writeInPieces(client, encoded[i], sent[i].cuts);
              // Either always awaiting, or taking what is buffered first, as ChatSession does.
              const header = (now ? reader.headerNow() : undefined) ?? await reader.readHeader();
              assert.ok(header, `frame ${i} is missing`);
              assert.equal(header.sender, sent[i].sender);
              assert.equal(header.payloadLength, sent[i].size);
              const payload = (now ? reader.payloadNow(header, 300_000)?.slice() : undefined) ??
                await reader.readPayload(header, 300_000);
              assert.deepEqual(payload, payloadOf(sent[i].size, i), `payload of frame ${i}`);
              if (!burst) await write;
              assert.ok(
                reader.capacity <= BUSY_READ_BUFFER,
                `buffer ${reader.capacity} > ${BUSY_READ_BUFFER}`,
              );
            }
            await writing;
            // Quiet now: one small frame (which may still land in the big buffer),
            // then the reader waits for the next header in a buffer of the idle size.
            await writeAll(client, encodeFrame(SMALL));
            assert.equal((await reader.readFrame())?.username, SMALL.username);
            const next = reader.readHeader();
            assert.equal(reader.capacity, IDLE_READ_BUFFER);
            client.close();
            assert.equal(await next, null);
          } finally {
            try {
              client.close();
            } catch { /* closed above */ }
            server.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  },
);

Deno.test("FrameReader waits for a frame with the idle-size buffer, however big the frame before it was", async () => {
  const { client, server } = await tcpPair();
  try {
    const reader = new FrameReader(server);
    assert.equal(reader.capacity, IDLE_READ_BUFFER);
    const big = encodeFrame({
      flags: FLAG.AVATAR,
      username: "Cool",
      payload: payloadOf(60_000, 1),
    });
    await writeAll(client, big);
    const frame = await reader.readFrame(60_000);
    assert.deepEqual(frame?.payload, payloadOf(60_000, 1));
    assert.ok(reader.capacity > IDLE_READ_BUFFER, `grew to ${reader.capacity} for the big frame`);
    for (let i = 0; i < 2; i++) {
      await writeAll(client, encodeFrame(SMALL));
      assert.equal((await reader.readFrame())?.username, "quiet");
    }
    const next = reader.readHeader();
    assert.equal(reader.capacity, IDLE_READ_BUFFER);
    client.close();
    assert.equal(await next, null);
  } finally {
    server.close();
  }
});

Deno.test("FrameReader.headerNow() and payloadNow() take only what is buffered whole, and consume nothing otherwise", async () => {
  const { client, server } = await tcpPair();
  try {
    const reader = new FrameReader(server);
    const first = encodeFrame({ sender: "Cool", payload: payloadOf(300, 1) });
    const second = encodeFrame({ sender: "Fun", payload: payloadOf(40, 2) });
    assert.equal(reader.headerNow(), undefined, "nothing read yet");
    // The first frame whole and half the second's header, in one write.
    await writeAll(client, concat(first, second.subarray(0, 20)));
    const header = await reader.readHeader();
    assert.equal(header?.sender, "Cool");
    assert.ok(reader.buffered >= 300, "the first payload came with its header");
    assert.throws(() => reader.payloadNow(header!, 100), /exceeds|over|too large|limit/i);
    const payload = reader.payloadNow(header!, 1000);
    assert.deepEqual(payload, payloadOf(300, 1));
    assert.equal(reader.headerNow(), undefined, "half a header is not taken");
    assert.equal(reader.buffered, 20, "and nothing was consumed");
    await writeAll(client, second.subarray(20, 40));
    const next = await reader.readHeader();
    assert.equal(next?.sender, "Fun");
    assert.equal(reader.buffered, 4, "the header is 36 bytes");
    assert.equal(reader.payloadNow(next!, 1000), undefined, "part of a payload is not taken");
    assert.equal(reader.buffered, 4);
    await writeAll(client, second.subarray(40));
    assert.deepEqual(await reader.readPayload(next!, 1000), payloadOf(40, 2));
    await writeAll(client, concat(first, first));
    assert.equal((await reader.readHeader())?.sender, "Cool");
    assert.throws(() => reader.headerNow(), /payload bytes of the previous frame are unread/);
  } finally {
    client.close();
    server.close();
  }
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
