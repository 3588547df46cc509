/**
 * Micro-benchmarks of the wire codec and the frame reader: `deno task bench:codec`.
 *
 * Chat-sized (100 B), buffer-sized (64 KiB) and limit-sized (1 MiB)
 * payloads; each decode is of a frame already in memory, so these measure
 * the code, not the network.
 *
 * @module
 */
import { decodeFrame, decodeHeader } from "../lib/shared/wire/decode_frame.ts";
import { encodeFrame, encodeShortLivedFrame } from "../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../lib/shared/wire/flags.ts";
import { MAX_MESSAGE_PAYLOAD } from "../lib/shared/wire/layout.ts";
import { type ByteConn } from "../lib/shared/net/byte_conn.ts";
import { FrameReader } from "../lib/shared/net/frame_reader.ts";

const SIZES = { "100 B": 100, "64 KiB": 64 * 1024, "1 MiB": MAX_MESSAGE_PAYLOAD } as const;

for (const [label, size] of Object.entries(SIZES)) {
  const payload = new Uint8Array(size).fill(0x61);
  const init = { flags: 0, timestamp: 1_795_000_000_000, sender: "Cool", payload };
  const frame = encodeFrame(init);
  const group = `${label} frame`;

  Deno.bench(`encodeFrame() ${label}`, { group, baseline: true }, () => {
    encodeFrame(init);
  });
  Deno.bench(`encodeShortLivedFrame() ${label}`, { group }, () => {
    encodeShortLivedFrame(init);
  });
  Deno.bench(`decodeFrame() ${label}`, { group }, () => {
    decodeFrame(frame);
  });
  Deno.bench(`decodeHeader() ${label}`, { group }, () => {
    decodeHeader(frame);
  });
  Deno.bench(`FrameReader.readFrame() ${label}, 64 frames per batch`, { group }, async (b) => {
    const stream = repeat(frame, 64);
    const reader = new FrameReader(memoryConn(stream));
    b.start();
    for (let i = 0; i < 64; i++) await reader.readFrame();
    b.end();
  });
}

/** `frame` `times` times over, in one array. */
function repeat(frame: Uint8Array, times: number): Uint8Array {
  const out = new Uint8Array(frame.length * times);
  for (let i = 0; i < times; i++) out.set(frame, i * frame.length);
  return out;
}

/** A connection that reads `bytes` in 64 KiB reads, like a busy socket. */
function memoryConn(bytes: Uint8Array): ByteConn {
  let at = 0;
  return {
    read(p) {
      if (at === bytes.length) return Promise.resolve(null);
      const n = Math.min(p.length, 64 * 1024, bytes.length - at);
      p.set(bytes.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
    write: (p) => Promise.resolve(p.length),
    close() {},
  };
}

// The header-only path of a streamed attachment, for comparison with the payload sizes.
Deno.bench("encodeFrame() attachment header (streamed payload)", { group: "headers" }, () => {
  encodeFrame({
    flags: FLAG.ATTACHMENT,
    sender: "Cool",
    filename: "coolfile1.txt",
    sha256: new Uint8Array(32),
    payloadLength: 256 * 1024 * 1024,
  });
});
