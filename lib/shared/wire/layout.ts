/**
 * The frame layout of the chatroom protocol: its sizes and limits.
 *
 * The codec (`encode_frame.ts`, `decode_frame.ts`) is pure: no I/O, no
 * `Deno.*`, no async.
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
 * Largest payload of one STREAM frame carrying attachment bytes: 256 KiB, the
 * chunk size the server reads uploads in (far under MAX_MESSAGE_PAYLOAD).
 */
export const MAX_STREAM_CHUNK = 256 * 1024;
