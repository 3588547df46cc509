/**
 * Decoding frames: pure, no I/O. Every check that the bytes can be a valid
 * frame is made here, as early as the bytes allow.
 *
 * @module
 */
import { asciiText, getUint32, getUint64 } from "./wire_bytes.ts";
import {
  FIXED_HEADER_SIZE,
  MAGIC_0,
  MAGIC_1,
  MAX_FILENAME_BYTES,
  MAX_MESSAGE_PAYLOAD,
  MAX_NAME_BYTES,
  PROTOCOL_VERSION,
  SHA256_BYTES,
} from "./layout.ts";
import { KNOWN_FLAGS } from "./flags.ts";
import { CODE, ProtocolError } from "./protocol_error.ts";
import type { Frame, FrameHeader } from "./frame.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The empty field, shared: a zero-length array has nothing to change. */
const EMPTY = new Uint8Array(0);

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
