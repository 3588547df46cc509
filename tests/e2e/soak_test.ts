/**
 * The soak: the attacks of the issue "One peer cannot hurt the room" at
 * once, against the real server as a subprocess whose standard output is
 * never read, while two users chat. Bounded in time (`SOAK_SECONDS`,
 * default 60) and in what it sends; Linux only (it reads /proc).
 *
 * - one connection joins and quits every 0.2 s on a 50,000-line history,
 *   reading what it is sent at about 200 kB/s;
 * - 300 connections ask for reports faster than the rate limit allows;
 * - the server's stdout is a pipe nobody reads after its first line;
 * - Cool and Fun each post a line every 125 ms (under the rate limit of 10 a second) and time the other's.
 *
 * It asserts: the server's memory stays under a bound, no line is lost,
 * every line arrives within 1 s and the users' p99 line latency (of lines
 * sent after the attack's first second, a storm of 300 connections) is
 * under 100 ms, and SIGTERM ends the server with exit code 0 within 5 s.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { writeAll } from "../../lib/shared/net/byte_conn.ts";
import { decodeText } from "../../lib/shared/text.ts";
import { SqliteHistory } from "../../lib/server/history/sqlite_history.ts";

const SOAK_MS = Number(Deno.env.get("SOAK_SECONDS") ?? 60) * 1000;
const HISTORY_LINES = 50_000;
const FLOODERS = 300;
/** The server may grow by this much over its memory once the history is loaded. */
const RSS_GROWTH_BOUND_MIB = 160;
/** A signal that never aborts, for waits that only time out. */
const NEVER = new AbortController().signal;
/**
 * The attack's first moments, when 300 connections arrive at once: lines
 * then may take a few hundred ms (under 1 s, asserted); the p99 is of the
 * lines sent after it.
 */
const STORM_MS = 1000;

/** A line one user heard: when the other sent it, and how long it took. */
interface Heard {
  sentAt: number;
  ms: number;
}
const SERVER_TS = new URL("../../server.ts", import.meta.url).pathname;

/** The server's resident memory in MiB, from /proc. */
async function rssMib(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/** The server as a subprocess; its stdout is read up to the "listening" line, then never again. */
async function startServer(dir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      SERVER_TS,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  let seen = "";
  while (!/listening on [^\s]+:(\d+)/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`The server exited before listening: ${seen}${await stderr}`);
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock(); // from here on nobody reads it: the pipe fills, the server must not care
  const port = Number(/listening on [^\s]+:(\d+)/.exec(seen)![1]);
  return { child, port, stderr };
}

/** Connects and joins as `username`; resolves once its history has all arrived. */
async function joinedUser(port: number, username: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const reader = new FrameReader(conn);
  await writeAll(conn, encodeFrame({ flags: FLAG.JOIN_REQUEST, username }));
  let historyLeft = -1;
  while (historyLeft !== 0) {
    const header = await reader.readHeader();
    if (!header) throw new Error(`${username}: the server closed the connection while joining`);
    if (hasFlag(header, FLAG.JOIN_REJECT)) throw new Error(`${username} was refused`);
    if (hasFlag(header, FLAG.ATTACHMENT)) await reader.skipPayload();
    else await reader.readPayload(header);
    if (hasFlag(header, FLAG.JOIN_ACCEPT)) historyLeft = header.number;
    else if (hasFlag(header, FLAG.HISTORY)) historyLeft--;
  }
  return { conn, reader };
}

/** Joins and quits on one connection every 200 ms, reading at about 200 kB/s. */
async function joinQuitLoop(port: number, stop: AbortSignal): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reading = (async () => {
    const buf = new Uint8Array(20_000);
    try {
      while (!stop.aborted && await conn.read(buf) !== null) await pause(100, stop);
    } catch (_) {
      // the server may drop a reader this slow: that is its budget at work
    }
  })();
  let cycles = 0;
  try {
    while (!stop.aborted) {
      await writeAll(conn, encodeFrame({ flags: FLAG.JOIN_REQUEST, username: "Loop" }));
      await writeAll(conn, encodeFrame({ flags: FLAG.QUIT_REQUEST }));
      cycles++;
      await pause(200, stop);
    }
  } catch (_) {
    // dropped by the server for reading too slowly: allowed
  } finally {
    try {
      conn.close();
    } catch (_) { /* already closed */ }
    await reading;
  }
  return cycles;
}

/** One connection asking for a report 50 times a second (5× the rate limit), reading the answers. */
async function reportFlood(port: number, stop: AbortSignal): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = encodeFrame({ flags: FLAG.REPORT_REQUEST });
  const burst = new Uint8Array(request.length * 5);
  for (let i = 0; i < 5; i++) burst.set(request, i * request.length);
  const draining = (async () => {
    const buf = new Uint8Array(16 * 1024);
    try {
      while (await conn.read(buf) !== null) { /* discard */ }
    } catch (_) { /* closed */ }
  })();
  try {
    while (!stop.aborted) {
      await writeAll(conn, burst);
      await pause(100, stop);
    }
  } catch (_) {
    // the server may close a flooder; the others go on
  } finally {
    try {
      conn.close();
    } catch (_) { /* already closed */ }
    await draining;
  }
}

/** Posts a line every 125 ms carrying its send time, until `stop`; returns how many. */
async function chatter(conn: Deno.Conn, stop: AbortSignal): Promise<number> {
  let sent = 0;
  while (!stop.aborted) {
    await writeAll(conn, encodeFrame({ payload: `t=${Date.now()}` }));
    sent++;
    await pause(125, stop);
  }
  return sent;
}

/** Collects the latency of every line from `from` that `reader` receives, until it closes. */
async function listen(reader: FrameReader, from: string, latencies: Heard[]): Promise<void> {
  try {
    while (true) {
      const header = await reader.readHeader();
      if (!header) return;
      if (hasFlag(header, FLAG.ATTACHMENT)) {
        await reader.skipPayload();
        continue;
      }
      const payload = await reader.readPayload(header);
      const text = decodeText(payload);
      if (header.flags === 0 && header.sender === from && text.startsWith("t=")) {
        const sentAt = Number(text.slice(2));
        latencies.push({ sentAt, ms: Date.now() - sentAt });
      }
    }
  } catch (_) {
    // the connection closed at the end of the soak
  }
}

Deno.test({
  name:
    "soak: a join/quit replay loop, a report flood and a blocked stdout at once leave the server small, the chat fast and SIGTERM prompt",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "chatroom-soak-" });
    {
      await using history = SqliteHistory.open(`${dir}/chatroom.db`);
      for (let i = 0; i < HISTORY_LINES; i++) {
        history.append({
          kind: "chat",
          timestamp: 1_700_000_000_000 + i,
          username: "Filler",
          text: `history line ${i} ${"x".repeat(40)}`,
        });
      }
    }
    const { child, port, stderr } = await startServer(dir);
    try {
      const cool = await joinedUser(port, "Cool");
      const fun = await joinedUser(port, "Fun");
      const baseline = await rssMib(child.pid);
      const stopping = new AbortController();
      const stop = stopping.signal;
      const coolHears: Heard[] = [];
      const funHears: Heard[] = [];
      const listeners = [
        listen(cool.reader, "Fun", coolHears),
        listen(fun.reader, "Cool", funHears),
      ];
      let peak = baseline;
      const sampling = (async () => {
        while (!stop.aborted) {
          peak = Math.max(peak, await rssMib(child.pid));
          await pause(200, stop);
        }
      })();
      const attackStart = Date.now();
      const looping = joinQuitLoop(port, stop);
      const flooding = Array.from({ length: FLOODERS }, () => reportFlood(port, stop));
      const chat = [chatter(cool.conn, stop), chatter(fun.conn, stop)];
      await pause(SOAK_MS, NEVER);
      stopping.abort();
      const [coolSent, funSent] = await Promise.all(chat);
      const cycles = await looping;
      await Promise.all(flooding);
      await sampling;
      // Every line posted has had time to arrive: wait for the last ones, at most 5 s.
      const deadline = Date.now() + 5000;
      while (
        (coolHears.length < funSent || funHears.length < coolSent) && Date.now() < deadline
      ) {
        await pause(50, NEVER);
      }
      // The p99 counts lines sent once the attack is under way; the first
      // second, when 300 connections arrive at once, is bounded by the max.
      const all = [...coolHears, ...funHears].map((h) => h.ms).sort((a, b) => a - b);
      const steady = [...coolHears, ...funHears]
        .filter((h) => h.sentAt >= attackStart + STORM_MS)
        .map((h) => h.ms)
        .sort((a, b) => a - b);
      const p99 = steady[Math.min(steady.length - 1, Math.floor(steady.length * 0.99))];
      console.log(
        `soak ${SOAK_MS / 1000} s: ${cycles} join/quit cycles, ${FLOODERS} flooders; server RSS ${
          baseline.toFixed(0)
        } MiB after the joins, peak ${
          peak.toFixed(0)
        } MiB; ${all.length} lines, p99 ${p99} ms after the first second, max ${all.at(-1)} ms`,
      );
      assert.ok(cycles > SOAK_MS / 400, `only ${cycles} join/quit cycles ran`);
      assert.equal(coolHears.length, funSent, "Cool missed lines from Fun");
      assert.equal(funHears.length, coolSent, "Fun missed lines from Cool");
      assert.ok(p99 < 100, `p99 line latency ${p99} ms is not under 100 ms`);
      assert.ok(all.at(-1)! < 1000, `a line took ${all.at(-1)} ms, over 1 s`);
      assert.ok(
        peak - baseline < RSS_GROWTH_BOUND_MIB,
        `server RSS grew ${(peak - baseline).toFixed(0)} MiB, over ${RSS_GROWTH_BOUND_MIB} MiB`,
      );
      const t0 = performance.now();
      child.kill("SIGTERM");
      const giveUp = new AbortController();
      const exited = await Promise.race([
        child.status,
        pause(5000, giveUp.signal).then(() => null),
      ]);
      giveUp.abort();
      const exitMs = performance.now() - t0;
      cool.conn.close();
      fun.conn.close();
      await Promise.all(listeners);
      assert.ok(exited, `the server did not exit within 5 s of SIGTERM`);
      assert.equal(exited.code, 0, `the server exited with code ${exited.code}: ${await stderr}`);
      console.log(`SIGTERM to exit: ${exitMs.toFixed(0)} ms`);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch (_) { /* exited */ }
      await child.status;
      await child.stdout.cancel().catch(() => {});
      await stderr;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
