import assert from "node:assert/strict";
import fc from "fast-check";
import { CODE, ProtocolError } from "../../lib/shared/wire/protocol_error.ts";
import { decodeFrame, decodeHeader } from "../../lib/shared/wire/decode_frame.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { type FrameInit } from "../../lib/shared/wire/frame.ts";
import { MAX_HEADER_SIZE, MAX_MESSAGE_PAYLOAD } from "../../lib/shared/wire/layout.ts";
import { fromHex, toHex, utf8Length } from "../../lib/shared/wire/wire_bytes.ts";

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

Deno.test("encodeFrame() produces the documented bytes", { permissions: "none" }, async (t) => {
  await t.step("a report request", () => {
    assert.equal(
      hex(encodeFrame({ flags: FLAG.REPORT_REQUEST })),
      "43 52 01 00 00 01 00 00 00 00 00 00 " + // magic, version, reserved, flags, code, number
        "00 00 00 00 00 00 00 00 " + // timestamp
        "00 00 00 00 00 00 00 00 " + // payload length
        "00 00 00 00 00", // username, sender, filename (u16), sha256 lengths
    );
  });
  await t.step("a join request for Cool", () => {
    assert.equal(
      hex(encodeFrame({ flags: FLAG.JOIN_REQUEST, username: "Cool" })),
      "43 52 01 00 00 04 00 00 00 00 00 00 " +
        "00 00 00 00 00 00 00 00 " +
        "00 00 00 00 00 00 00 00 " +
        "04 00 00 00 00 " +
        "43 6f 6f 6c", // "Cool"
    );
  });
  await t.step("a chat line relayed by the server", () => {
    const bytes = encodeFrame({ sender: "Fun", timestamp: 0x0102030405, payload: "Hi" });
    assert.equal(
      hex(bytes),
      "43 52 01 00 00 00 00 00 00 00 00 00 " +
        "00 00 00 01 02 03 04 05 " +
        "00 00 00 00 00 00 00 02 " +
        "00 03 00 00 00 " +
        "46 75 6e " + // "Fun"
        "48 69", // "Hi": the server drops a trailing newline
    );
  });
  await t.step("a join reject with its code", () => {
    const bytes = encodeFrame({ flags: FLAG.JOIN_REJECT, code: CODE.ROOM_FULL, payload: "x" });
    assert.equal(hex(bytes.subarray(4, 8)), "00 08 00 01");
  });
});

function fitsNameField(name: string): boolean {
  return new TextEncoder().encode(name).length <= 64;
}

const frameArb: fc.Arbitrary<FrameInit> = fc.record({
  flags: fc.subarray(Object.values(FLAG)).map((bits) => bits.reduce((a, b) => a | b, 0)),
  code: fc.integer({ min: 0, max: 0xffff }),
  number: fc.integer({ min: 0, max: 0xffffffff }),
  timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  // Ten graphemes can exceed the 64-byte field (one grapheme may be 12+ bytes): keep to the field.
  username: fc.string({ unit: "grapheme", maxLength: 10 }).filter(fitsNameField),
  sender: fc.string({ unit: "grapheme", maxLength: 10 }).filter(fitsNameField),
  filename: fc.string({ unit: "grapheme-ascii", maxLength: 200 }),
  sha256: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 32, maxLength: 32 })),
  payload: fc.uint8Array({ maxLength: 300 }),
});

Deno.test("decodeFrame() inverts encodeFrame() for any frame", { permissions: "none" }, () => {
  fc.assert(fc.property(frameArb, (init) => {
    const bytes = encodeFrame(init);
    const decoded = decodeFrame(bytes);
    assert.ok(decoded);
    assert.equal(decoded.frameSize, bytes.length);
    const { frame } = decoded;
    assert.deepEqual(
      { ...frame, payloadLength: undefined },
      { ...init, payloadLength: undefined },
    );
    assert.equal(frame.payloadLength, init.payload!.length);
  }));
});

Deno.test(
  "decodeFrame() waits for more bytes at every split of a frame",
  { permissions: "none" },
  () => {
    fc.assert(
      fc.property(frameArb, (init) => {
        const bytes = encodeFrame(init);
        for (let cut = 0; cut < bytes.length; cut++) {
          assert.equal(decodeFrame(bytes.subarray(0, cut)), null, `cut at ${cut}`);
        }
      }),
      { numRuns: 50 },
    );
  },
);

Deno.test("decodeFrame() either decodes arbitrary bytes or throws a ProtocolError", {
  permissions: "none",
}, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      try {
        decodeFrame(bytes);
      } catch (error) {
        assert.ok(error instanceof ProtocolError, `unexpected ${error}`);
        assert.ok(Object.values(CODE).includes(error.code));
      }
    }),
    { numRuns: 2000 },
  );
  // Mutations of valid frames reach deeper into the header than random bytes.
  fc.assert(
    fc.property(frameArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (init, at, value) => {
      const bytes = encodeFrame(init);
      bytes[at % bytes.length] = value;
      try {
        decodeFrame(bytes);
      } catch (error) {
        assert.ok(error instanceof ProtocolError, `unexpected ${error}`);
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test(
  "decodeHeader() rejects bytes from another protocol at once",
  { permissions: "none" },
  () => {
    const http = new TextEncoder().encode("GET / HTTP/1.1\r\n");
    assert.throws(() => decodeHeader(http.subarray(0, 1)), (e: ProtocolError) => {
      assert.equal(e.code, CODE.BAD_MAGIC);
      assert.match(e.message, /starts with bytes 47, expected 43 52/);
      return true;
    });
  },
);

Deno.test("decodeHeader() rejects another protocol version", { permissions: "none" }, () => {
  const bytes = encodeFrame({ flags: FLAG.REPORT_REQUEST });
  bytes[2] = 2;
  assert.throws(() => decodeHeader(bytes), (e: ProtocolError) => {
    assert.equal(e.code, CODE.UNSUPPORTED_VERSION);
    assert.match(e.message, /version 2 is not supported/);
    return true;
  });
});

Deno.test("decodeHeader() rejects unknown flags, oversized names and bad UTF-8", {
  permissions: "none",
}, async (t) => {
  await t.step("unknown flag bit", () => {
    const bytes = encodeFrame({});
    bytes[4] = 0x80;
    assert.throws(() => decodeHeader(bytes), { code: CODE.BAD_HEADER });
  });
  await t.step("username longer than 64 bytes", () => {
    const bytes = encodeFrame({});
    bytes[28] = 65;
    assert.throws(() => decodeHeader(bytes), /USERNAME length 65 exceeds the limit of 64 bytes/);
  });
  await t.step("invalid UTF-8 in the username", () => {
    const bytes = encodeFrame({ username: "ab" });
    bytes[33] = 0xff;
    assert.throws(() => decodeHeader(bytes), /USERNAME: the bytes are not valid UTF-8/);
  });
  await t.step("SHA256 of a length other than 0 or 32", () => {
    const bytes = encodeFrame({});
    bytes[32] = 5;
    assert.throws(() => decodeHeader(bytes), { code: CODE.BAD_HEADER });
  });
});

Deno.test("decodeFrame() refuses a payload over the limit before it arrives", {
  permissions: "none",
}, () => {
  const header = encodeFrame({ payloadLength: MAX_MESSAGE_PAYLOAD + 1 });
  assert.throws(() => decodeFrame(header), (e: ProtocolError) => {
    assert.equal(e.code, CODE.PAYLOAD_TOO_LARGE);
    assert.match(e.message, /payload length 1048577 exceeds the limit of 1048576 bytes/);
    return true;
  });
});

Deno.test("the header can describe a multi-gigabyte attachment", { permissions: "none" }, () => {
  const size = 5 * 1024 ** 3;
  const decoded = decodeHeader(encodeFrame({ flags: FLAG.ATTACHMENT, payloadLength: size }));
  assert.equal(decoded?.header.payloadLength, size);
});

Deno.test("no header is longer than MAX_HEADER_SIZE", { permissions: "none" }, () => {
  const bytes = encodeFrame({
    username: "u".repeat(64),
    sender: "s".repeat(64),
    filename: "f".repeat(1024),
    sha256: new Uint8Array(32),
  });
  assert.equal(bytes.length, MAX_HEADER_SIZE);
  assert.throws(() => encodeFrame({ username: "u".repeat(65) }), /USERNAME is 65 bytes/);
});

Deno.test("encodeFrame() writes any text payload and name as TextEncoder does", {
  permissions: "none",
}, () => {
  const encoder = new TextEncoder();
  // "binary" units include lone surrogates, which TextEncoder writes as U+FFFD.
  const text = fc.string({ unit: "binary", maxLength: 40 });
  fc.assert(fc.property(text, text, (payload, name) => {
    assert.equal(utf8Length(payload), encoder.encode(payload).length);
    const sender = encoder.encode(name).length <= 64 ? name : "";
    const frame = decodeFrame(encodeFrame({ payload, sender }))!.frame;
    assert.deepEqual(frame.payload, encoder.encode(payload));
    assert.equal(frame.sender, new TextDecoder().decode(encoder.encode(sender)));
  }));
});

Deno.test("encodeFrame() refuses a length or timestamp that is not a safe integer", {
  permissions: "none",
}, () => {
  assert.throws(
    () => encodeFrame({ payloadLength: 2 ** 53 }),
    /PAYLOAD_LENGTH 9007199254740992 is not an integer from 0 to 2\^53-1/,
  );
  assert.throws(() => encodeFrame({ payloadLength: -1 }), /PAYLOAD_LENGTH -1/);
  assert.throws(() => encodeFrame({ timestamp: Infinity }), /TIMESTAMP Infinity/);
});

Deno.test("decodeHeader() reads the 64-bit fields in full, however they are split", {
  permissions: "none",
}, () => {
  const frame = encodeFrame({
    timestamp: 2 ** 52 + 12345,
    payloadLength: 2 ** 32 + 7,
    number: 0xfedcba98,
  });
  const { header } = decodeHeader(frame)!;
  assert.equal(header.timestamp, 2 ** 52 + 12345);
  assert.equal(header.payloadLength, 2 ** 32 + 7);
  assert.equal(header.number, 0xfedcba98);
});

Deno.test("fromHex() reads back what toHex() wrote, and SQLite's upper-case hex", () => {
  const bytes = new Uint8Array([0, 1, 0x7f, 0x80, 0xab, 0xff]);
  assert.deepEqual(fromHex(toHex(bytes)), bytes);
  assert.deepEqual(fromHex("00FF10"), new Uint8Array([0, 255, 16]));
  assert.deepEqual(fromHex(""), new Uint8Array(0));
});
