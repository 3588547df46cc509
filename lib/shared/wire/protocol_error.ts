/**
 * The stable reason codes of the protocol, and the one error for bytes a
 * peer sent that break it.
 *
 * @module
 */

/**
 * Stable codes carried in CODE, for rejects and errors. Whether the
 * connection survives follows from the code alone: below 100 the server
 * keeps it, except ATTACHMENT_TOO_LARGE, SERVER_BUSY and SHUTTING_DOWN,
 * which close it; 100 and up are protocol errors and always close it.
 */
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
  /**
   * An attachment without a SHA-256 digest: refused, its payload skipped,
   * the connection kept (every code below 100 keeps it).
   */
  ATTACHMENT_NO_DIGEST: 15,
  /**
   * An attachment forwarded as it arrived (STREAM) is not in the room after
   * all: its upload broke off or failed the server's check. The receiver
   * deletes what it has of it; the connection is kept.
   */
  ATTACHMENT_DISCARDED: 16,
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
