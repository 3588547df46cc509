/**
 * A share of the fan-out scenario's chat clients, all in this one process.
 * Every client both sends and receives; latency is measured at every
 * receiver against the send time carried in the message, on the wall clock
 * all processes share.
 *
 * Commands:
 * - `join {port, first, count}`: joins clients `first` … `first+count-1`.
 * - `steady {startMs, rate, messages, total, bytes}` → `{latency, received}`:
 *   from `startMs`, each client sends `messages` lines at `rate` per second;
 *   the `total` clients of all processes are staggered evenly over one
 *   period. Ends when every line has reached every client here, or 10 s
 *   after the last send.
 * - `saturate {startMs, messages, window, total, bytes}` →
 *   `{received, endMs}`: from `startMs` each client sends `messages` lines
 *   as fast as the server echoes them, with at most `window` unanswered.
 *
 * @module
 */
import type { FrameHeader } from "../../lib/shared/wire/frame.ts";
import { BenchClient } from "../support/bench_client.ts";
import { LatencyHistogram } from "../support/stats.ts";
import { runWorker, wallMs } from "../support/worker_io.ts";

/** Longest a phase may wait for missing messages after its last send. */
const GRACE_MS = 10_000;

interface Member {
  index: number;
  /** `fan<index>`. */
  name: string;
  client: BenchClient;
  /** This client's own saturation lines that came back. */
  echoed: number;
  wake?: () => void;
}

const members: Member[] = [];
let latency = new LatencyHistogram();
let steadyReceived = 0;
let saturateReceived = 0;
let lastReceiveMs = 0;
let progress: (() => void) | undefined;

await runWorker(async (command) => {
  switch (command.cmd) {
    case "join":
      return await join(Number(command.port), Number(command.first), Number(command.count));
    case "steady":
      return await steady(command as unknown as SteadyCommand);
    case "saturate":
      return await saturate(command as unknown as SaturateCommand);
  }
  throw new Error(`Unknown command ${command.cmd}`);
});
await Promise.all(members.map((m) => m.client.close()));

async function join(port: number, first: number, count: number): Promise<void> {
  for (let index = first; index < first + count; index++) {
    const member: Member = { index, name: `fan${index}`, echoed: 0 } as Member;
    member.client = await BenchClient.join(port, `fan${index}`, {
      sink: (header, payload, receivedMs) => onFrame(member, header, payload, receivedMs),
    });
    members.push(member);
  }
}

/**
 * Lines are `L <sender> <seq> <send wall ms>` (steady) or `S <sender> <seq>`
 * (saturation). Read straight from the bytes: this runs half a million
 * times a second on the cores the server needs.
 */
function onFrame(
  member: Member,
  header: FrameHeader,
  payload: Uint8Array,
  receivedMs: number,
): void {
  if (header.flags !== 0 || payload.length === 0) return;
  const kind = payload[0];
  if (kind === 0x4c /* L */) {
    latency.add(receivedMs - sentMs(payload));
    steadyReceived++;
  } else if (kind === 0x53 /* S */) {
    saturateReceived++;
    lastReceiveMs = receivedMs;
    if (header.sender === member.name) {
      member.echoed++;
      member.wake?.();
    }
  } else {
    return;
  }
  progress?.();
}

/** The fourth space-separated field of an `L` line: its send time. */
function sentMs(payload: Uint8Array): number {
  let at = 0;
  for (let spaces = 0; spaces < 3 && at < payload.length; at++) {
    if (payload[at] === 0x20) spaces++;
  }
  let end = at;
  while (end < payload.length && payload[end] !== 0x20) end++;
  return Number(String.fromCharCode.apply(null, payload.subarray(at, end) as unknown as number[]));
}

function line(prefix: string, bytes: number): string {
  return prefix.length >= bytes ? prefix : prefix + " " + ".".repeat(bytes - prefix.length - 1);
}

interface SteadyCommand {
  startMs: number;
  rate: number;
  messages: number;
  total: number;
  bytes: number;
}

async function steady(c: SteadyCommand): Promise<Record<string, unknown>> {
  latency = new LatencyHistogram();
  steadyReceived = 0;
  const period = 1000 / c.rate;
  const sends = members.map((m) =>
    (async () => {
      for (let seq = 0; seq < c.messages; seq++) {
        await sleepUntil(c.startMs + (m.index / c.total) * period + seq * period);
        const text = line(`L ${m.index} ${seq} ${wallMs().toFixed(3)}`, c.bytes);
        m.client.send({ payload: text });
      }
    })()
  );
  await Promise.all(sends);
  const expected = c.total * c.messages * members.length;
  await waitFor(() => steadyReceived >= expected, GRACE_MS);
  return { latency: latency.toJSON(), received: steadyReceived, expected };
}

interface SaturateCommand {
  startMs: number;
  messages: number;
  window: number;
  total: number;
  bytes: number;
}

async function saturate(c: SaturateCommand): Promise<Record<string, unknown>> {
  saturateReceived = 0;
  lastReceiveMs = 0;
  for (const m of members) m.echoed = 0;
  await sleepUntil(c.startMs);
  const sends = members.map((m) =>
    (async () => {
      for (let seq = 0; seq < c.messages; seq++) {
        while (seq - m.echoed >= c.window) {
          const woken = Promise.withResolvers<void>();
          m.wake = woken.resolve;
          const timer = setTimeout(woken.resolve, GRACE_MS);
          await woken.promise;
          clearTimeout(timer);
          if (seq - m.echoed >= c.window) {
            throw new Error(`Client fan${m.index} got no echo for ${GRACE_MS} ms`);
          }
        }
        m.client.send({ payload: line(`S ${m.index} ${seq}`, c.bytes) });
      }
    })()
  );
  await Promise.all(sends);
  const expected = c.total * c.messages * members.length;
  await waitFor(() => saturateReceived >= expected, GRACE_MS);
  return { received: saturateReceived, expected, endMs: lastReceiveMs };
}

async function sleepUntil(wall: number): Promise<void> {
  const ms = wall - wallMs();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `done()` holds, checked on every delivery, or after `timeoutMs`. */
async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) {
    const woken = Promise.withResolvers<void>();
    progress = woken.resolve;
    const timer = setTimeout(woken.resolve, deadline - Date.now());
    await woken.promise;
    clearTimeout(timer);
  }
  progress = undefined;
}
