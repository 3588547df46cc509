/**
 * A share of the idle-clients scenario: thousands of joined connections in
 * this one process that send nothing after joining and drain what the
 * server sends (the announcements of later joins), counting frames with a
 * minimal header scanner rather than decoding them.
 *
 * Commands:
 * - `join {port, first, count, concurrency}` → `{joined}`: connects and
 *   joins clients `first` … `first+count-1`, at most `concurrency` at once;
 *   each must get a JOIN_ACCEPT as its first frame.
 * - `count` → `{frames}`: frames received so far by all clients here.
 * - `close`: closes every connection.
 *
 * @module
 */
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FIXED_HEADER_SIZE } from "../../lib/shared/wire/layout.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { writeAll } from "../../lib/shared/net/byte_conn.ts";
import { runWorker } from "../support/worker_io.ts";

/** Read buffer per connection: an idle client gets only small frames. */
const READ_BUFFER = 16 * 1024;

/** Counts whole frames in a byte stream using only the fixed header. */
class FrameCounter {
  frames = 0;
  /** FLAGS of the first frame, or -1 before it arrived. */
  firstFlags = -1;
  #head = new Uint8Array(FIXED_HEADER_SIZE);
  #have = 0;
  #skip = 0;

  feed(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, bytes.length - at);
        this.#skip -= n;
        at += n;
        if (this.#skip === 0) this.frames++;
        continue;
      }
      const n = Math.min(FIXED_HEADER_SIZE - this.#have, bytes.length - at);
      this.#head.set(bytes.subarray(at, at + n), this.#have);
      this.#have += n;
      at += n;
      if (this.#have < FIXED_HEADER_SIZE) return;
      const h = this.#head;
      const view = new DataView(h.buffer);
      if (this.firstFlags < 0) this.firstFlags = view.getUint16(4);
      const payload = view.getUint32(20) * 2 ** 32 + view.getUint32(24);
      this.#skip = h[28] + h[29] + view.getUint16(30) + h[32] + payload;
      this.#have = 0;
      if (this.#skip === 0) this.frames++;
    }
  }
}

interface Idle {
  conn: Deno.TcpConn;
  counter: FrameCounter;
  done: Promise<void>;
}

const clients: Idle[] = [];

await runWorker(async (command) => {
  switch (command.cmd) {
    case "join":
      return await joinAll(
        Number(command.port),
        Number(command.first),
        Number(command.count),
        Number(command.concurrency),
      );
    case "count":
      return { frames: clients.reduce((n, c) => n + c.counter.frames, 0) };
    case "close":
      await closeAll();
      return;
  }
  throw new Error(`Unknown command ${command.cmd}`);
});
await closeAll();

async function joinAll(
  port: number,
  first: number,
  count: number,
  concurrency: number,
): Promise<Record<string, unknown>> {
  let next = first;
  const lane = async () => {
    while (next < first + count) await joinOne(port, `idle${next++}`);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { joined: clients.length };
}

async function joinOne(port: number, username: string): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const counter = new FrameCounter();
  const accepted = Promise.withResolvers<void>();
  const done = drain(conn, counter, accepted);
  await writeAll(conn, encodeFrame({ flags: FLAG.JOIN_REQUEST, username }));
  await Promise.race([accepted.promise, done]);
  if ((counter.firstFlags & FLAG.JOIN_ACCEPT) === 0) {
    throw new Error(
      `Join as ${username} was not accepted (first frame flags ${counter.firstFlags})`,
    );
  }
  clients.push({ conn, counter, done });
}

async function drain(
  conn: Deno.TcpConn,
  counter: FrameCounter,
  accepted: PromiseWithResolvers<void>,
): Promise<void> {
  const buf = new Uint8Array(READ_BUFFER);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return;
      counter.feed(buf.subarray(0, n));
      if (counter.frames > 0) accepted.resolve();
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
      throw error;
    }
  }
}

async function closeAll(): Promise<void> {
  for (const client of clients.splice(0)) {
    try {
      client.conn.close();
    } catch { /* the server closed it first */ }
    await client.done;
  }
}
