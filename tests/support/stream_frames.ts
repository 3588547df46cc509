/**
 * Test support: the frames of a transfer forwarded as it arrives (STREAM),
 * as the contract in docs/PROTOCOL.md defines them, for fake servers to send.
 *
 * @example
 * ```ts
 * const file = { name: "a.txt", bytes: new TextEncoder().encode("hi\n") };
 * await peer.send(streamFrames.begin(1, file));
 * await peer.send(streamFrames.data(1, file.bytes));
 * await peer.send(streamFrames.end(1, file));
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { type FrameInit } from "../../lib/shared/wire/frame.ts";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { putUint64 } from "../../lib/shared/wire/wire_bytes.ts";

/** When the fake server "began receiving" its uploads (BEGIN's TIMESTAMP). */
export const STREAM_BEGAN = Date.UTC(2024, 0, 2, 20, 36, 0);
/** When the fake server "stored" them (END's and DISCARD's TIMESTAMP). */
export const STREAM_STORED = Date.UTC(2024, 0, 2, 20, 36, 22);

/** A file as a fake server streams it. */
export interface StreamedFile {
  name: string;
  bytes: Uint8Array;
  /** The uploader. @default "Fun" */
  sender?: string;
}

/** The SHA-256 of `bytes`. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

function sizeBytes(size: number): Uint8Array {
  const out = new Uint8Array(8);
  putUint64(out, 0, size);
  return out;
}

/** Builders of BEGIN, DATA, END and DISCARD frames (and a chat line to interleave). */
export const streamFrames = {
  /** BEGIN of transfer `id`: the file's size (or `size`) as 8 bytes. */
  begin(id: number, file: StreamedFile, size = file.bytes.length): FrameInit {
    return {
      flags: FLAG.ATTACHMENT | FLAG.STREAM,
      number: id,
      sender: file.sender ?? "Fun",
      filename: file.name,
      sha256: sha256(file.bytes),
      timestamp: STREAM_BEGAN,
      payload: sizeBytes(size),
    };
  },
  /** DATA of transfer `id`: the next bytes. */
  data(id: number, bytes: Uint8Array): FrameInit {
    return { flags: FLAG.STREAM, number: id, payload: bytes };
  },
  /** END of transfer `id`, repeating BEGIN's sender, name and digest. */
  end(id: number, file: StreamedFile): FrameInit {
    return {
      flags: FLAG.STREAM,
      number: id,
      sender: file.sender ?? "Fun",
      filename: file.name,
      sha256: sha256(file.bytes),
      timestamp: STREAM_STORED,
    };
  },
  /** DISCARD of transfer `id`, with the reason in words. */
  discard(id: number, reason: string): FrameInit {
    return {
      flags: FLAG.STREAM | FLAG.ERROR,
      code: CODE.ATTACHMENT_DISCARDED,
      number: id,
      timestamp: STREAM_STORED,
      payload: reason,
    };
  },
  /** A chat line from Cool. */
  chat(text: string): FrameInit {
    return { sender: "Cool", timestamp: STREAM_STORED, payload: text };
  },
};
