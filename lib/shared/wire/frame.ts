/**
 * What a frame is: its header fields, a whole frame, and the fields one
 * builds a frame from.
 *
 * @module
 */
import { utf8 } from "./wire_bytes.ts";

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
