/**
 * One client of the attachment relay scenarios, in its own process.
 *
 * Commands:
 * - `join {port, name, hash}`: joins the room; with `hash: false` attachments
 *   are drained without hashing (the uploader's copy of its own upload).
 * - `prepare {bytes}` → `{sha256}`: makes the file to upload, in memory (a
 *   random 1 MiB block repeated), and its SHA-256, outside any timing.
 * - `upload` → `{startMs, sentMs}`: streams it as an attachment; done (at
 *   `sentMs`) when the last byte is handed to the kernel.
 * - `expect` → `{bytes, sha256, headerMs, firstByteMs, endMs}`: waits until
 *   the next attachment from the server has arrived whole, hashing it as it
 *   streams in; `headerMs` is when its BEGIN arrived, `firstByteMs` its first
 *   DATA, `endMs` its END (every byte there and checked).
 *
 * Receivers join with JOIN_OPTION.STREAM and take the transfer's DATA frames
 * as the server forwards them (a classic whole frame is taken too); the
 * uploader joins with ECHO and gets an ECHO header for its own attachment.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { FLAG, hasFlag, JOIN_OPTION } from "../../lib/shared/wire/flags.ts";
import { type FrameHeader } from "../../lib/shared/wire/frame.ts";
import { toHex } from "../../lib/shared/wire/wire_bytes.ts";
import { CHUNK_SIZE } from "../../lib/shared/net/byte_conn.ts";
import { type FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { BenchClient } from "../support/bench_client.ts";
import { runWorker, wallMs } from "../support/worker_io.ts";

type Arrival = {
  bytes: number;
  sha256: string;
  headerMs: number;
  firstByteMs: number;
  endMs: number;
};

const BLOCK = 1024 * 1024;
let client: BenchClient | undefined;
let block: Uint8Array | undefined;
let digest: Uint8Array | undefined;
let preparedSize = 0;
let closed = false;
let hashing = false;
const arrivals: Arrival[] = [];
let wake: (() => void) | undefined;
/** The transfer under way (receivers join with STREAM): hashed as its DATA frames arrive. */
let transfer:
  | {
    id: number;
    size: number;
    sha256: string;
    hash: Hash;
    bytes: number;
    headerMs: number;
    firstByteMs: number;
  }
  | undefined;

const errors: string[] = [];

await runWorker(async (command) => {
  switch (command.cmd) {
    case "join":
      hashing = command.hash !== false;
      // Receivers take attachments as they arrive (STREAM); the uploader gets an ECHO header.
      client = await BenchClient.join(
        Number(command.port),
        String(command.name),
        onFrame,
        hashing ? JOIN_OPTION.STREAM : JOIN_OPTION.ECHO,
      );
      client.done.catch((error) => errors.push(String(error))).finally(() => {
        closed = true;
        wake?.();
      });
      return;
    case "prepare":
      return { sha256: prepare(Number(command.bytes)) };
    case "upload":
      return await upload();
    case "expect":
      return await expect();
  }
  throw new Error(`Unknown command ${command.cmd}`);
});
await client?.close();

async function onFrame(header: FrameHeader, reader: FrameReader): Promise<void> {
  if (hasFlag(header, FLAG.STREAM)) return await onStream(header, reader);
  if (hasFlag(header, FLAG.ERROR)) {
    errors.push(new TextDecoder().decode(await reader.readPayload(header)));
    wake?.();
    return;
  }
  if (!hasFlag(header, FLAG.ATTACHMENT) || hasFlag(header, FLAG.HISTORY)) {
    return await reader.skipPayload();
  }
  const headerMs = wallMs();
  if (!hashing) {
    await reader.skipPayload();
    const endMs = wallMs();
    arrivals.push({ bytes: header.payloadLength, sha256: "", headerMs, firstByteMs: endMs, endMs });
    wake?.();
    return;
  }
  // The classic whole frame (a receiver the server did not stream to).
  const hash = createHash("sha256");
  let bytes = 0;
  let firstByteMs = 0;
  for await (const chunk of reader.payloadChunks()) {
    firstByteMs ||= wallMs();
    hash.update(chunk);
    bytes += chunk.length;
  }
  const sha256 = toHex(new Uint8Array(hash.digest()));
  arrivals.push({ bytes, sha256, headerMs, firstByteMs, endMs: wallMs() });
  wake?.();
}

/** A frame of a transfer: BEGIN, DATA (hashed), END (checked) or DISCARD. */
async function onStream(header: FrameHeader, reader: FrameReader): Promise<void> {
  if (hasFlag(header, FLAG.ATTACHMENT)) {
    const payload = await reader.readPayload(header);
    const size = Number(new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0));
    transfer = {
      id: header.number,
      size,
      sha256: toHex(header.sha256),
      hash: createHash("sha256"),
      bytes: 0,
      headerMs: wallMs(),
      firstByteMs: 0,
    };
    return;
  }
  const current = transfer;
  if (!current || current.id !== header.number) {
    errors.push(`The server sent a STREAM frame for transfer ${header.number}, which is not open`);
    await reader.skipPayload();
    wake?.();
    return;
  }
  if (hasFlag(header, FLAG.ERROR)) {
    errors.push(new TextDecoder().decode(await reader.readPayload(header)));
    transfer = undefined;
    wake?.();
    return;
  }
  if (header.payloadLength > 0) {
    current.firstByteMs ||= wallMs();
    for await (const chunk of reader.payloadChunks()) {
      current.hash.update(chunk);
      current.bytes += chunk.length;
    }
    return;
  }
  // END: every byte, with the digest BEGIN declared (and END repeats).
  transfer = undefined;
  const sha256 = toHex(new Uint8Array(current.hash.digest()));
  if (current.bytes !== current.size || toHex(header.sha256) !== current.sha256) {
    errors.push(
      `Transfer ${current.id} ended after ${current.bytes} of ${current.size} bytes with END's SHA-256 ${
        toHex(header.sha256)
      } (BEGIN said ${current.sha256})`,
    );
  }
  const { bytes, headerMs, firstByteMs } = current;
  arrivals.push({ bytes, sha256, headerMs, firstByteMs, endMs: wallMs() });
  wake?.();
}

function prepare(size: number): string {
  block = new Uint8Array(BLOCK);
  for (let at = 0; at < BLOCK; at += 65536) crypto.getRandomValues(block.subarray(at, at + 65536));
  const hash = createHash("sha256");
  for (let left = size; left > 0; left -= BLOCK) {
    hash.update(block.subarray(0, Math.min(left, BLOCK)));
  }
  digest = new Uint8Array(hash.digest());
  preparedSize = size;
  return toHex(digest);
}

async function* blocks(size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < size; at += CHUNK_SIZE) {
    const offset = at % BLOCK;
    yield block!.subarray(offset, offset + Math.min(CHUNK_SIZE, size - at));
  }
}

async function upload(): Promise<Record<string, unknown>> {
  const size = preparedSize;
  const startMs = wallMs();
  client!.send(
    { flags: FLAG.ATTACHMENT, filename: "bench.bin", sha256: digest, payloadLength: size },
    () => blocks(size),
  );
  await client!.sender.flush();
  const sentMs = wallMs();
  if (errors.length) throw new Error(`The server refused the upload: ${errors.join("; ")}`);
  if (closed) throw new Error("The server closed the connection during the upload");
  return { startMs, sentMs };
}

async function expect(): Promise<Record<string, unknown>> {
  while (arrivals.length === 0) {
    if (errors.length) throw new Error(`The server sent an error: ${errors.join("; ")}`);
    if (closed) throw new Error("The server closed the connection before the attachment arrived");
    const woken = Promise.withResolvers<void>();
    wake = woken.resolve;
    await woken.promise;
  }
  return arrivals.shift()!;
}
