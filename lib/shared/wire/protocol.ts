/**
 * The chatroom wire codec: pure functions, no I/O, no `Deno.*`, no async.
 *
 * Every frame is a bounded header followed by `PAYLOAD_LENGTH` payload bytes.
 * All integers are big-endian. The full description, with the reasons for
 * each field, is in `docs/PROTOCOL.md`.
 *
 * | offset | size | field                                         |
 * |-------:|-----:|-----------------------------------------------|
 * |      0 |    2 | MAGIC, the ASCII bytes `C` `R` (0x43 0x52)    |
 * |      2 |    1 | VERSION, currently 1                          |
 * |      3 |    1 | reserved, must be 0                           |
 * |      4 |    2 | FLAGS, one bit per assignment flag (see FLAG) |
 * |      6 |    2 | CODE, a reason code for rejects and errors    |
 * |      8 |    4 | NUMBER                                        |
 * |     12 |    8 | TIMESTAMP, milliseconds since the Unix epoch  |
 * |     20 |    8 | PAYLOAD_LENGTH, in bytes                      |
 * |     28 |    1 | USERNAME length in bytes (≤ 64)               |
 * |     29 |    1 | SENDER length in bytes (≤ 64)                 |
 * |     30 |    2 | FILENAME length in bytes (≤ 1024)             |
 * |     32 |    1 | SHA256 length in bytes (0 or 32)              |
 * |     33 |    … | USERNAME, SENDER, FILENAME (UTF-8), SHA256    |
 * |      … |    … | PAYLOAD                                       |
 *
 * @module
 */
import { allocBytes, freshBytes } from "./bytes.ts";
import {
  asciiText,
  getUint32,
  getUint64,
  putText,
  putUint32,
  putUint64,
  utf8Length,
} from "./wire_bytes.ts";

export { utf8Length };

/** The two bytes every frame starts with: ASCII `CR` for "chatroom". */
export const MAGIC_0 = 0x43;
/** Second magic byte. */
export const MAGIC_1 = 0x52;
/** The protocol version this codec speaks. */
export const PROTOCOL_VERSION = 1;
/** Size of the fixed part of the header, before the variable-length strings. */
export const FIXED_HEADER_SIZE = 33;
/** Longest USERNAME or SENDER, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 64;
/** Longest FILENAME, in UTF-8 bytes. */
export const MAX_FILENAME_BYTES = 1024;
/** Size of a SHA-256 digest. */
export const SHA256_BYTES = 32;
/** Largest possible header: the fixed part plus every variable field at its cap. */
export const MAX_HEADER_SIZE: number = FIXED_HEADER_SIZE + 2 * MAX_NAME_BYTES +
  MAX_FILENAME_BYTES + SHA256_BYTES;
/** Largest payload of a frame that is not an attachment (chat text, reports, avatars). */
export const MAX_MESSAGE_PAYLOAD = 1024 * 1024;
/** Largest payload the codec can describe: 2^53 − 1 bytes, far beyond any disk. */
export const MAX_PAYLOAD_LENGTH: number = Number.MAX_SAFE_INTEGER;

/**
 * Bit positions of the flags. The first nine are the assignment's section 4
 * fields 1–9; the rest are our additions, documented in `docs/PROTOCOL.md`.
 */
export const FLAG = {
  REPORT_REQUEST: 1 << 0,
  REPORT_RESPONSE: 1 << 1,
  JOIN_REQUEST: 1 << 2,
  JOIN_REJECT: 1 << 3,
  JOIN_ACCEPT: 1 << 4,
  NEW_USER: 1 << 5,
  QUIT_REQUEST: 1 << 6,
  QUIT_ACCEPT: 1 << 7,
  ATTACHMENT: 1 << 8,
  /** The frame replays an entry of the room's history (after a JOIN_ACCEPT). */
  HISTORY: 1 << 9,
  /** The frame reports an error; CODE says which, PAYLOAD says it in words. */
  ERROR: 1 << 10,
  /** The frame carries a user's avatar image (extra credit). */
  AVATAR: 1 << 11,
  /** A server notice that is not a join or a leave (e.g. shutdown). */
  NOTICE: 1 << 12,
  /**
   * With ATTACHMENT, from the server only: it confirms the recipient's own
   * upload, stored and recorded. The header is the one everyone else gets,
   * but with no payload (PAYLOAD_LENGTH 0): the uploader has the bytes. Sent
   * only to users who asked for it with {@linkcode JOIN_OPTION.ECHO}.
   */
  ECHO: 1 << 13,
} as const;

/**
 * What a client may ask for when it joins, as bits of its JOIN_REQUEST's
 * NUMBER (0 in clients that predate them, and servers that predate them
 * ignore NUMBER there, so both directions keep working).
 */
export const JOIN_OPTION = {
  /** Confirm my own attachments with an ECHO header instead of sending them back. */
  ECHO: 1 << 0,
} as const;

/** Every flag bit this version defines; any other bit set is a protocol error. */
export const KNOWN_FLAGS: number = Object.values(FLAG).reduce((a, b) => a | b, 0);

/** Stable codes carried in CODE, for rejects and errors. */
export const CODE = {
  NONE: 0,
  ROOM_FULL: 1,
  USERNAME_TAKEN: 2,
  INVALID_USERNAME: 3,
  NOT_JOINED: 4,
  ALREADY_JOINED: 5,
  ATTACHMENT_TOO_LARGE: 6,
  ATTACHMENT_HASH_MISMATCH: 7,
  BAD_FILENAME: 8,
  MESSAGE_TOO_LARGE: 9,
  INVALID_TEXT: 10,
  SERVER_BUSY: 11,
  SERVER_ERROR: 12,
  SHUTTING_DOWN: 13,
  /** A join request's avatar is too big or not an image. */
  INVALID_AVATAR: 14,
  BAD_MAGIC: 100,
  UNSUPPORTED_VERSION: 101,
  BAD_HEADER: 102,
  PAYLOAD_TOO_LARGE: 103,
  TRUNCATED: 104,
  BAD_FRAME: 105,
  TIMEOUT: 106,
} as const;

/** One of the values of {@linkcode CODE}. */
export type Code = typeof CODE[keyof typeof CODE];

/** The name of a code, for logs and `--trace`. */
export function codeName(code: number): string {
  for (const [name, value] of Object.entries(CODE)) {
    if (value === code) return name;
  }
  return `UNKNOWN_${code}`;
}

/** The header of a frame: every field but the payload bytes. */
export interface FrameHeader {
  /** Bitwise OR of {@linkcode FLAG} values. */
  flags: number;
  /** A {@linkcode CODE} for rejects and errors, 0 otherwise. */
  code: number;
  /** NUMBER: active users in a report response, history entries in a join accept. */
  number: number;
  /** Milliseconds since the Unix epoch when the server stamped it; 0 if unstamped. */
  timestamp: number;
  /** USERNAME, as the assignment defines it. */
  username: string;
  /** Author of a chat line or attachment relayed by the server; empty otherwise. */
  sender: string;
  /** FILENAME of an attachment (or avatar); empty otherwise. */
  filename: string;
  /** SHA-256 of an attachment's payload (32 bytes), or empty. */
  sha256: Uint8Array;
  /** PAYLOAD_LENGTH in bytes. */
  payloadLength: number;
}

/** A whole frame: header and payload held in memory (never used for attachments). */
export interface Frame extends FrameHeader {
  /** PAYLOAD: the frame's bytes after the header, `payloadLength` of them. */
  payload: Uint8Array;
}

/** A frame to encode: every field optional, defaulting to 0 or empty. */
export type FrameInit = Partial<Omit<FrameHeader, "payloadLength">> & {
  payload?: Uint8Array | string;
  /** Only for streamed payloads: the length of the payload sent separately. */
  payloadLength?: number;
};

/** An error in the bytes a peer sent, with a stable {@linkcode CODE}. */
export class ProtocolError extends Error {
  /** The stable code, sent to the peer in an ERROR frame. */
  readonly code: Code;
  /** Creates an error with a stable code and a sentence that names the value. */
  constructor(code: Code, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes text as UTF-8. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, throwing a {@linkcode ProtocolError} on malformed bytes. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot decode ${what}: the bytes are not valid UTF-8`,
    );
  }
}

function checkLength(what: string, length: number, max: number): void {
  if (length > max) {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot encode frame: ${what} is ${length} bytes, over the limit of ${max}`,
    );
  }
}

/**
 * Fills in the defaults of a {@linkcode FrameInit}: the header it describes
 * and its payload bytes (undefined for a streamed payload).
 */
export function normalizeFrame(
  init: FrameInit,
): { header: FrameHeader; payload?: Uint8Array } {
  const payload = typeof init.payload === "string" ? utf8(init.payload) : init.payload;
  return {
    header: {
      flags: init.flags ?? 0,
      code: init.code ?? 0,
      number: init.number ?? 0,
      timestamp: init.timestamp ?? 0,
      username: init.username ?? "",
      sender: init.sender ?? "",
      filename: init.filename ?? "",
      sha256: init.sha256 ?? new Uint8Array(0),
      payloadLength: payload ? payload.length : init.payloadLength ?? 0,
    },
    payload,
  };
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

/**
 * Decodes `n` bytes at `at` as UTF-8; ASCII (user and file names, nearly
 * always) without a decoder call.
 */
function decodeField(bytes: Uint8Array, at: number, n: number, what: string): string {
  if (n === 0) return "";
  return asciiText(bytes, at, at + n) ?? decodeUtf8(bytes.subarray(at, at + n), what);
}

/** Result of {@linkcode decodeHeader} when the buffer holds a whole header. */
export interface DecodedHeader {
  /** The header's fields. */
  header: FrameHeader;
  /** How many bytes of the buffer the header used; the payload starts there. */
  headerSize: number;
}

/**
 * Decodes a frame header from the start of `bytes`.
 *
 * Returns `null` when more bytes are needed (never more than
 * {@linkcode MAX_HEADER_SIZE} in all), and throws a {@linkcode ProtocolError}
 * as soon as the bytes cannot be the start of a valid header.
 */
export function decodeHeader(bytes: Uint8Array): DecodedHeader | null {
  if (bytes.length >= 1 && bytes[0] !== MAGIC_0) badMagic(bytes);
  if (bytes.length >= 2 && bytes[1] !== MAGIC_1) badMagic(bytes);
  if (bytes.length >= 3 && bytes[2] !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      CODE.UNSUPPORTED_VERSION,
      `Cannot decode frame: protocol version ${
        bytes[2]
      } is not supported (this program speaks version ${PROTOCOL_VERSION})`,
    );
  }
  if (bytes.length < FIXED_HEADER_SIZE) return null;
  if (bytes[3] !== 0) {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot decode frame: reserved byte is ${bytes[3]}, expected 0`,
    );
  }
  const flags = (bytes[4] << 8) | bytes[5];
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot decode frame: flags 0x${flags.toString(16)} has unknown bits`,
    );
  }
  const timestamp = getUint64(bytes, 12, (value) => {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot decode frame: timestamp ${value} is out of range`,
    );
  });
  const payloadLength = getUint64(bytes, 20, (value) => {
    throw new ProtocolError(
      CODE.PAYLOAD_TOO_LARGE,
      `Cannot decode frame: payload length ${value} is out of range`,
    );
  });
  const usernameLength = bytes[28];
  const senderLength = bytes[29];
  const filenameLength = (bytes[30] << 8) | bytes[31];
  const sha256Length = bytes[32];
  checkFieldLength("USERNAME", usernameLength, MAX_NAME_BYTES);
  checkFieldLength("SENDER", senderLength, MAX_NAME_BYTES);
  checkFieldLength("FILENAME", filenameLength, MAX_FILENAME_BYTES);
  checkFieldLength("SHA256", sha256Length, SHA256_BYTES);
  if (sha256Length !== 0 && sha256Length !== SHA256_BYTES) {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot decode frame: SHA256 length ${sha256Length} is neither 0 nor 32`,
    );
  }
  const headerSize = FIXED_HEADER_SIZE + usernameLength + senderLength + filenameLength +
    sha256Length;
  if (bytes.length < headerSize) return null;
  let at = FIXED_HEADER_SIZE;
  const username = decodeField(bytes, at, usernameLength, "USERNAME");
  at += usernameLength;
  const sender = decodeField(bytes, at, senderLength, "SENDER");
  at += senderLength;
  const filename = decodeField(bytes, at, filenameLength, "FILENAME");
  at += filenameLength;
  const sha256 = sha256Length === 0 ? EMPTY : bytes.slice(at, at + sha256Length);
  return {
    header: {
      flags,
      code: (bytes[6] << 8) | bytes[7],
      number: getUint32(bytes, 8),
      timestamp,
      username,
      sender,
      filename,
      sha256,
      payloadLength,
    },
    headerSize,
  };
}

function checkFieldLength(what: string, length: number, max: number): void {
  if (length > max) {
    throw new ProtocolError(
      CODE.BAD_HEADER,
      `Cannot decode frame: ${what} length ${length} exceeds the limit of ${max} bytes`,
    );
  }
}

function badMagic(bytes: Uint8Array): never {
  const seen = Array.from(bytes.subarray(0, 2), (b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new ProtocolError(
    CODE.BAD_MAGIC,
    `Cannot decode frame: it starts with bytes ${seen}, expected 43 52 ("CR"); the peer does not speak the chatroom protocol`,
  );
}

/**
 * Decodes one whole frame (header and payload) from the start of `bytes`.
 *
 * Returns `null` if more bytes are needed. Payloads over `maxPayload` throw,
 * so this never waits for more than a bounded number of bytes.
 */
export function decodeFrame(
  bytes: Uint8Array,
  maxPayload: number = MAX_MESSAGE_PAYLOAD,
): { frame: Frame; frameSize: number } | null {
  const decoded = decodeHeader(bytes);
  if (!decoded) return null;
  const { header, headerSize } = decoded;
  checkPayloadLimit(header, maxPayload);
  const frameSize = headerSize + header.payloadLength;
  if (bytes.length < frameSize) return null;
  return {
    frame: { ...header, payload: bytes.slice(headerSize, frameSize) },
    frameSize,
  };
}

/** Throws a {@linkcode ProtocolError} if the header's payload exceeds `max` bytes. */
export function checkPayloadLimit(header: FrameHeader, max: number): void {
  if (header.payloadLength > max) {
    throw new ProtocolError(
      CODE.PAYLOAD_TOO_LARGE,
      `Cannot decode frame: payload length ${header.payloadLength} exceeds the limit of ${max} bytes`,
    );
  }
}

/** Names of the flags set in `flags`, e.g. `["JOIN_ACCEPT"]`. */
export function flagNames(flags: number): string[] {
  return Object.entries(FLAG).filter(([, bit]) => (flags & bit) !== 0).map((
    [name],
  ) => `${name}_FLAG`);
}

/** True if `header` has every bit of `flag` set. */
export function hasFlag(header: { flags: number }, flag: number): boolean {
  return (header.flags & flag) === flag;
}

/** Hex of a digest, for logs. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
