/**
 * The baselines: plain TCP between Deno processes, no chatroom code. One
 * peer sends, one receives (optionally hashing what it reads, as a client
 * checks an attachment), and optionally a third forwards between them
 * (optionally hashing too), the least any relay process can do. All use
 * {@linkcode RAW_CHUNK} buffers, the chunk size of the chatroom's transport.
 *
 * Commands:
 * - `listen` → `{port}`: the port the next `receive` or `forward` accepts on.
 * - `receive {bytes, hash}` → `{bytes, endMs, sha256}`, after a peer connects;
 *   with `hash`, SHA-256 over every byte as it arrives (`sha256` is its hex).
 * - `forward {to, hash, store}` → `{bytes}`: accepts one connection, connects
 *   to port `to` and copies everything across; with `hash`, hashes it on the
 *   way; with `store` (a folder), also writes it to a new file there, as the
 *   server keeps an attachment it streams on (removed at the end).
 * - `send {port, bytes}` → `{startMs}`.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { CHUNK_SIZE, writeAll } from "../../lib/shared/net/byte_conn.ts";
import { runWorker, wallMs } from "../support/worker_io.ts";
import { rawChunk } from "../support/raw_stream.ts";

/** Size of each read and write. */
export const RAW_CHUNK = CHUNK_SIZE;

let listener: Deno.TcpListener | undefined;

await runWorker(async (command) => {
  switch (command.cmd) {
    case "listen":
      listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      return { port: listener.addr.port };
    case "receive":
      return await receive(Number(command.bytes), command.hash === true);
    case "forward":
      return await forward(
        Number(command.to),
        command.hash === true,
        typeof command.store === "string" ? command.store : undefined,
      );
    case "send":
      return await send(Number(command.port), Number(command.bytes));
  }
  throw new Error(`Unknown command ${command.cmd}`);
});
listener?.close();

async function receive(total: number, hashing: boolean): Promise<Record<string, unknown>> {
  const conn = await listener!.accept();
  const buf = new Uint8Array(RAW_CHUNK);
  const hash = hashing ? createHash("sha256") : undefined;
  let got = 0;
  while (got < total) {
    const n = await conn.read(buf);
    if (n === null) break;
    hash?.update(buf.subarray(0, n));
    got += n;
  }
  const sha256 = hash?.digest("hex") ?? "";
  const endMs = wallMs();
  conn.close();
  return { bytes: got, endMs, sha256 };
}

async function forward(
  to: number,
  hashing: boolean,
  store: string | undefined,
): Promise<Record<string, unknown>> {
  const from = await listener!.accept();
  const onward = await Deno.connect({ hostname: "127.0.0.1", port: to });
  onward.setNoDelay(true);
  const hash: Hash | undefined = hashing ? createHash("sha256") : undefined;
  const path = store === undefined ? undefined : `${store}/forwarded-${crypto.randomUUID()}`;
  let file: Deno.FsFile | undefined;
  const buf = new Uint8Array(RAW_CHUNK);
  let copied = 0;
  try {
    if (path !== undefined) file = await Deno.open(path, { write: true, createNew: true });
    while (true) {
      const n = await from.read(buf);
      if (n === null) break;
      const chunk = buf.subarray(0, n);
      hash?.update(chunk);
      // The file and the socket take the chunk at the same time, as the server's upload does.
      await Promise.all([writeAll(onward, chunk), file && writeAll(file, chunk)]);
      copied += n;
    }
    hash?.digest();
  } finally {
    from.close();
    onward.close();
    if (file) {
      file.close();
      // A file left behind goes with the runner's folder; an error here must not hide the copy's.
      await Deno.remove(path!).catch(() => {});
    }
  }
  return { bytes: copied };
}

async function send(port: number, total: number): Promise<Record<string, unknown>> {
  const chunk = rawChunk();
  const startMs = wallMs();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  let sent = 0;
  while (sent < total) {
    // The stream is the chunk repeated; a short write resumes where it stopped.
    const at = sent % chunk.length;
    sent += await conn.write(chunk.subarray(at, Math.min(chunk.length, at + total - sent)));
  }
  conn.close();
  return { startMs };
}
