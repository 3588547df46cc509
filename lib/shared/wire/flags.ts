/**
 * The FLAGS bits of a frame and the join options a client may ask for.
 *
 * @module
 */

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
  /**
   * From the server only: a frame of an attachment forwarded while it is
   * still arriving (cut-through), sent only to users who asked for it with
   * {@linkcode JOIN_OPTION.STREAM}. With ATTACHMENT it begins a transfer
   * (NUMBER its id, PAYLOAD the file's size as 8 bytes); alone it carries the
   * next bytes of transfer NUMBER, or none to say the file is stored; with
   * ERROR (CODE ATTACHMENT_DISCARDED) it tells the receiver to discard it.
   * See "Attachments as they arrive" in `docs/PROTOCOL.md`.
   */
  STREAM: 1 << 14,
} as const;

/**
 * What a client may ask for when it joins, as bits of its JOIN_REQUEST's
 * NUMBER (0 in clients that predate them, and servers that predate them
 * ignore NUMBER there, so both directions keep working).
 */
export const JOIN_OPTION = {
  /** Confirm my own attachments with an ECHO header instead of sending them back. */
  ECHO: 1 << 0,
  /** Forward others' attachments as they arrive, in STREAM frames, instead of once stored. */
  STREAM: 1 << 1,
} as const;

/** Every flag bit this version defines; any other bit set is a protocol error. */
export const KNOWN_FLAGS: number = Object.values(FLAG).reduce((a, b) => a | b, 0);

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
