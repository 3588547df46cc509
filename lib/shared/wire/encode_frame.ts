/**
 * Encoding frames: pure, no I/O. The byte layout is in `layout.ts`.
 *
 * @module
 */
import { allocBytes, freshBytes } from "./bytes.ts";
import { putText, putUint32, putUint64, utf8Length } from "./wire_bytes.ts";
import {
  FIXED_HEADER_SIZE,
  MAGIC_0,
  MAGIC_1,
  MAX_FILENAME_BYTES,
  MAX_NAME_BYTES,
  PROTOCOL_VERSION,
  SHA256_BYTES,
} from "./layout.ts";
import { KNOWN_FLAGS } from "./flags.ts";
import { CODE, ProtocolError } from "./protocol_error.ts";
import type { FrameInit } from "./frame.ts";

function checkLength(what: string, length: number, max: number): void {
  if (length > max) {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot encode frame: ${what} is ${length} bytes, over the limit of ${max}`,
    );
  }
}

/**
 * Encodes a frame header (and, unless the payload is streamed, the payload).
 *
 * With `payload` the result is the whole frame. With `payloadLength` and no
 * `payload` the result is only the header; the caller streams the payload.
 *
 * The result has a buffer of its own, as it may wait in a send queue for a
 * long time (see {@linkcode encodeShortLivedFrame} for frames copied away
 * at once).
 *
 * @example
 * ```ts
 * const bytes = encodeFrame({ flags: FLAG.REPORT_REQUEST });
 * ```
 */
export function encodeFrame(init: FrameInit): Uint8Array {
  return encode(init, freshBytes);
}

/**
 * {@linkcode encodeFrame} for a frame that is copied away at once (joined
 * with others for one write): a small one is carved from a shared slab
 * (`allocBytes` of lib/bytes.ts), which is cheaper, but must not be kept.
 */
export function encodeShortLivedFrame(init: FrameInit): Uint8Array {
  return encode(init, allocBytes);
}

/**
 * {@linkcode encodeFrame} into the one array `alloc` returns for the frame's
 * size: a buffer of a pool (see lib/shared/net/frame_pool.ts), for frames
 * too big to allocate afresh each time.
 */
export function encodeFrameWith(
  init: FrameInit,
  alloc: (size: number) => Uint8Array,
): Uint8Array {
  return encode(init, alloc);
}

function encode(init: FrameInit, alloc: (size: number) => Uint8Array): Uint8Array {
  const text = typeof init.payload === "string" ? init.payload : undefined;
  const bytes = typeof init.payload === "string" ? undefined : init.payload;
  const username = init.username ?? "";
  const sender = init.sender ?? "";
  const filename = init.filename ?? "";
  const usernameLength = utf8Length(username);
  const senderLength = utf8Length(sender);
  const filenameLength = utf8Length(filename);
  const sha256 = init.sha256 ?? EMPTY;
  const payloadLength = text !== undefined
    ? utf8Length(text)
    : bytes
    ? bytes.length
    : init.payloadLength ?? 0;
  checkLength("USERNAME", usernameLength, MAX_NAME_BYTES);
  checkLength("SENDER", senderLength, MAX_NAME_BYTES);
  checkLength("FILENAME", filenameLength, MAX_FILENAME_BYTES);
  if (sha256.length !== 0 && sha256.length !== SHA256_BYTES) {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot encode frame: SHA256 is ${sha256.length} bytes, expected 0 or 32`,
    );
  }
  const flags = init.flags ?? 0;
  if ((flags & ~KNOWN_FLAGS) !== 0 || flags < 0) {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot encode frame: flags 0x${flags.toString(16)} has unknown bits`,
    );
  }
  const timestamp = Math.trunc(init.timestamp ?? 0);
  checkUint64("TIMESTAMP", timestamp);
  checkUint64("PAYLOAD_LENGTH", payloadLength);
  const headerSize = FIXED_HEADER_SIZE + usernameLength + senderLength + filenameLength +
    sha256.length;
  const streamed = text === undefined && bytes === undefined;
  const out = alloc(headerSize + (streamed ? 0 : payloadLength));
  const code = init.code ?? 0;
  const number = init.number ?? 0;
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = PROTOCOL_VERSION;
  out[3] = 0;
  out[4] = flags >>> 8;
  out[5] = flags;
  out[6] = code >>> 8;
  out[7] = code;
  putUint32(out, 8, number);
  putUint64(out, 12, timestamp);
  putUint64(out, 20, payloadLength);
  out[28] = usernameLength;
  out[29] = senderLength;
  out[30] = filenameLength >>> 8;
  out[31] = filenameLength;
  out[32] = sha256.length;
  let at = putText(out, FIXED_HEADER_SIZE, username, usernameLength);
  at = putText(out, at, sender, senderLength);
  at = putText(out, at, filename, filenameLength);
  if (sha256.length) out.set(sha256, at);
  at += sha256.length;
  if (text !== undefined) putText(out, at, text, payloadLength);
  else if (bytes) out.set(bytes, at);
  return out;
}

/** The empty field, shared: a zero-length array has nothing to change. */
const EMPTY = new Uint8Array(0);

function checkUint64(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot encode frame: ${what} ${value} is not an integer from 0 to 2^53-1`,
    );
  }
}
