/**
 * Conformance support: frames written and read byte by byte, as the tables
 * of docs/PROTOCOL.md give them, over a raw `Deno.connect` socket. Nothing
 * here uses the codec in lib/, so a change to it that breaks the document
 * breaks these tests.
 *
 * @module
 */

/** The fields of a frame, as in §Frame layout; any left out are 0 or empty. */
export interface RawFrame {
  flags?: number;
  code?: number;
  number?: number;
  timestamp?: bigint;
  /** Written as the header's PAYLOAD_LENGTH when given; else the payload's size. */
  payloadLength?: bigint;
  username?: Uint8Array | string;
  sender?: Uint8Array | string;
  filename?: Uint8Array | string;
  sha256?: Uint8Array;
  payload?: Uint8Array | string;
}

/** A frame read off the wire; strings decoded as UTF-8 (the server sends valid UTF-8). */
export interface ReadFrame {
  /** The 33 fixed header bytes, as they came. */
  fixed: Uint8Array;
  flags: number;
  code: number;
  number: number;
  timestamp: bigint;
  payloadLength: bigint;
  username: string;
  sender: string;
  filename: string;
  sha256: Uint8Array;
  payload: Uint8Array;
  /** The payload as UTF-8 text. */
  text: string;
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

const bytesOf = (value: Uint8Array | string | undefined) =>
  typeof value === "string" ? utf8.encode(value) : value ?? new Uint8Array();

/** The bytes of `frame`: the 33-byte fixed header, the fields, then the payload. */
export function rawFrame(frame: RawFrame): Uint8Array {
  const username = bytesOf(frame.username);
  const sender = bytesOf(frame.sender);
  const filename = bytesOf(frame.filename);
  const sha256 = frame.sha256 ?? new Uint8Array();
  const payload = bytesOf(frame.payload);
  const out = new Uint8Array(
    33 + username.length + sender.length + filename.length + sha256.length + payload.length,
  );
  const view = new DataView(out.buffer);
  out.set([0x43, 0x52, 1, 0]); // MAGIC "CR", VERSION 1, reserved 0
  view.setUint16(4, frame.flags ?? 0);
  view.setUint16(6, frame.code ?? 0);
  view.setUint32(8, frame.number ?? 0);
  view.setBigUint64(12, frame.timestamp ?? 0n);
  view.setBigUint64(20, frame.payloadLength ?? BigInt(payload.length));
  out[28] = username.length;
  out[29] = sender.length;
  view.setUint16(30, filename.length);
  out[32] = sha256.length;
  let at = 33;
  for (const part of [username, sender, filename, sha256, payload]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The header of an attachment upload of `bytes` (its payload is sent
 * separately), with their SHA-256 unless `digest` says otherwise.
 */
export async function uploadHeader(
  filename: string,
  bytes: Uint8Array<ArrayBuffer>,
  digest?: Uint8Array,
): Promise<Uint8Array> {
  return rawFrame({
    flags: F.ATTACHMENT,
    filename,
    sha256: digest ?? await sha256(bytes),
    payloadLength: BigInt(bytes.length),
  });
}

/** `"43 52 01"` for bytes, as the document prints them. */
export function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** SHA-256 of `bytes`. */
export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** A raw client connection that reads whole frames, with a timeout on every wait. */
export class RawClient implements AsyncDisposable {
  #conn: Deno.Conn;
  #buffer = new Uint8Array();
  #eof = false;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Writes `frame` (built with {@linkcode rawFrame}) or raw bytes. */
  async send(frame: RawFrame | Uint8Array): Promise<void> {
    let bytes = frame instanceof Uint8Array ? frame : rawFrame(frame);
    while (bytes.length) bytes = bytes.subarray(await this.#conn.write(bytes));
  }

  /** The next frame; throws if the connection closes first or nothing comes in time. */
  async frame(timeoutMs = 5000): Promise<ReadFrame> {
    const fixed = await this.#take(33, timeoutMs);
    const view = new DataView(fixed.buffer, fixed.byteOffset, 33);
    const lengths = [fixed[28], fixed[29], view.getUint16(30), fixed[32]];
    const fields = await this.#take(lengths.reduce((a, b) => a + b), timeoutMs);
    const payloadLength = view.getBigUint64(20);
    const payload = await this.#take(Number(payloadLength), timeoutMs);
    const [u, s, f] = lengths;
    return {
      fixed,
      flags: view.getUint16(4),
      code: view.getUint16(6),
      number: view.getUint32(8),
      timestamp: view.getBigUint64(12),
      payloadLength,
      username: text.decode(fields.subarray(0, u)),
      sender: text.decode(fields.subarray(u, u + s)),
      filename: text.decode(fields.subarray(u + s, u + s + f)),
      sha256: fields.slice(u + s + f),
      payload,
      text: text.decode(payload),
    };
  }

  /** The next frame with any of `flags` set (or, for 0, a chat line), skipping others. */
  async next(flags: number, timeoutMs = 5000): Promise<ReadFrame> {
    for (;;) {
      const frame = await this.frame(timeoutMs);
      if (flags === 0 ? frame.flags === 0 : (frame.flags & flags) !== 0) return frame;
    }
  }

  /** Resolves when the server has closed the connection (frames before it are dropped). */
  async closed(timeoutMs = 5000): Promise<void> {
    while (!this.#eof) await this.#fill(timeoutMs);
  }

  async #take(n: number, timeoutMs: number): Promise<Uint8Array> {
    while (this.#buffer.length < n) {
      if (this.#eof) throw new Error(`Connection closed with ${this.#buffer.length}/${n} bytes`);
      await this.#fill(timeoutMs);
    }
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.slice(n);
    return out;
  }

  async #fill(timeoutMs: number): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Nothing read in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const n = await Promise.race([this.#conn.read(chunk), timeout]).catch((error) => {
        if (error instanceof Deno.errors.ConnectionReset) return null;
        throw error;
      });
      if (n === null) {
        this.#eof = true;
        return;
      }
      const joined = new Uint8Array(this.#buffer.length + n);
      joined.set(this.#buffer);
      joined.set(chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = joined;
    } finally {
      clearTimeout(timer);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
    return Promise.resolve();
  }
}

/** The FLAGS bits of §Flags, written out so the tests do not read lib/. */
export const F = {
  REPORT_REQUEST: 0x0001,
  REPORT_RESPONSE: 0x0002,
  JOIN_REQUEST: 0x0004,
  JOIN_REJECT: 0x0008,
  JOIN_ACCEPT: 0x0010,
  NEW_USER: 0x0020,
  QUIT_REQUEST: 0x0040,
  QUIT_ACCEPT: 0x0080,
  ATTACHMENT: 0x0100,
  HISTORY: 0x0200,
  ERROR: 0x0400,
  AVATAR: 0x0800,
  NOTICE: 0x1000,
  ECHO: 0x2000,
  STREAM: 0x4000,
} as const;

/** Connects and joins as `username`, returning after the client's own NEW_USER. */
export async function joined(port: number, username: string, number = 0): Promise<RawClient> {
  const client = await RawClient.connect(port);
  await client.send({ flags: F.JOIN_REQUEST, username, number });
  await client.next(F.JOIN_ACCEPT);
  for (;;) {
    const frame = await client.next(F.NEW_USER);
    if (frame.username === username) return client;
  }
}
