/**
 * The baseline: plain TCP between two Deno processes, no chatroom code.
 * `receive` listens and reads; `send` connects and writes. Both use
 * {@linkcode RAW_CHUNK} buffers, the chunk size of the chatroom's transport.
 *
 * Commands: `listen` → `{port}`; `receive {bytes}` → `{bytes, endMs}`
 * (after a `send` connects); `send {port, bytes}` → `{startMs}`.
 *
 * @module
 */
import { CHUNK_SIZE } from "../../lib/transport.ts";
import { runWorker, wallMs } from "../support/worker_io.ts";

/** Size of each read and write. */
export const RAW_CHUNK = CHUNK_SIZE;

let listener: Deno.TcpListener | undefined;

await runWorker(async (command) => {
  switch (command.cmd) {
    case "listen":
      listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      return { port: listener.addr.port };
    case "receive":
      return await receive(Number(command.bytes));
    case "send":
      return await send(Number(command.port), Number(command.bytes));
  }
  throw new Error(`Unknown command ${command.cmd}`);
});
listener?.close();

async function receive(total: number): Promise<Record<string, unknown>> {
  const conn = await listener!.accept();
  const buf = new Uint8Array(RAW_CHUNK);
  let got = 0;
  while (got < total) {
    const n = await conn.read(buf);
    if (n === null) break;
    got += n;
  }
  const endMs = wallMs();
  conn.close();
  return { bytes: got, endMs };
}

async function send(port: number, total: number): Promise<Record<string, unknown>> {
  const chunk = new Uint8Array(RAW_CHUNK).map((_, i) => i * 31);
  const startMs = wallMs();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  let sent = 0;
  while (sent < total) {
    sent += await conn.write(chunk.subarray(0, Math.min(chunk.length, total - sent)));
  }
  conn.close();
  return { startMs };
}
