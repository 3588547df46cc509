/**
 * The history scenario's clients, in their own process.
 *
 * Commands:
 * - `fill {port, count, bytes, window}` → `{ms}`: joins as `filler` and
 *   posts `count` chat lines of `bytes` bytes over TCP like any user (at
 *   most `window` unanswered), then leaves; this is how the history is made.
 * - `join {port, name}` → `{ms, historyCount}`: joins with the real client
 *   library ({@linkcode ChatSession}, without the terminal UI) and times it
 *   from the join request until the last history entry has arrived, then
 *   quits.
 *
 * @module
 */
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { type FrameHeader } from "../../lib/shared/wire/frame.ts";
import type { FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { ChatSession, type RoomEvent } from "../../lib/client/session.ts";
import { BenchClient } from "../support/bench_client.ts";
import { runWorker } from "../support/worker_io.ts";

await runWorker(async (command) => {
  switch (command.cmd) {
    case "fill":
      return await fill(
        Number(command.port),
        Number(command.count),
        Number(command.bytes),
        Number(command.window),
      );
    case "join":
      return await join(Number(command.port), String(command.name));
  }
  throw new Error(`Unknown command ${command.cmd}`);
});

async function fill(
  port: number,
  count: number,
  bytes: number,
  window: number,
): Promise<Record<string, unknown>> {
  let echoed = 0;
  let wake: (() => void) | undefined;
  const onFrame = async (header: FrameHeader, reader: FrameReader) => {
    await reader.skipPayload();
    if (hasFlag(header, FLAG.ERROR)) throw new Error("The server refused a history line");
    if ((header.flags & ~FLAG.HISTORY) === 0 && header.sender === "filler") {
      echoed++;
      wake?.();
    }
  };
  const started = performance.now();
  const client = await BenchClient.join(port, "filler", onFrame);
  const pad = "x".repeat(bytes);
  for (let sent = 0; sent < count; sent++) {
    while (sent - echoed >= window) {
      const woken = Promise.withResolvers<void>();
      wake = woken.resolve;
      client.done.then(woken.resolve, woken.resolve);
      await woken.promise;
      if (sent - echoed >= window && client.sender.ok === false) {
        throw new Error("The connection closed while filling the history");
      }
    }
    const line = `history line ${sent} `;
    client.send({ payload: line + pad.slice(line.length) });
  }
  while (echoed < count) {
    const woken = Promise.withResolvers<void>();
    wake = woken.resolve;
    await woken.promise;
  }
  await client.close();
  return { ms: performance.now() - started };
}

async function join(port: number, name: string): Promise<Record<string, unknown>> {
  const historyEnd = Promise.withResolvers<void>();
  let historyCount = 0;
  const session = new ChatSession({
    hostname: "127.0.0.1",
    port,
    onEvent: (event: RoomEvent) => {
      if (event.type === "joined") historyCount = event.historyCount;
      if (event.type === "history-end") historyEnd.resolve();
      if (event.type === "disconnected") historyEnd.reject(new Error(event.reason));
    },
  });
  const started = performance.now();
  const result = await session.join(name);
  if (!result.accepted) throw new Error(`Cannot join as ${name}: ${result.text}`);
  await historyEnd.promise;
  const ms = performance.now() - started;
  await session.quit();
  return { ms, historyCount };
}
