/**
 * One connection cannot make the server hold unbounded memory: the real
 * server, as a subprocess, with its resident memory read from /proc while a
 * client attacks it; after each attack the room still works.
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { writeAll } from "../../lib/shared/net/byte_conn.ts";
import { SqliteHistory } from "../../lib/server/history/sqlite_history.ts";
import { Bystanders } from "../support/bystanders.ts";
import { denoLauncher, ProgramProcess } from "../support/program_process.ts";

const MIB = 1024 * 1024;

/** The server's resident memory, in bytes, from /proc. */
async function rssOf(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kib * 1024;
}

/** Samples `pid`'s resident memory every 20 ms until stopped; `peak` is the highest seen. */
function sampleRss(pid: number): { peak: () => number; stop: () => Promise<void> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await rssOf(pid));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    peak: () => peak,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** A server.ts process in a temporary folder whose history holds `lines` chat lines. */
async function startServerProcess(
  lines: number,
  flags: string[] = [],
): Promise<{ server: ProgramProcess; port: number; dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-budget-" });
  {
    await using history = SqliteHistory.open(`${dir}/chatroom.db`);
    for (let i = 0; i < lines; i++) {
      history.append({
        kind: "chat",
        timestamp: 1_700_000_000_000 + i,
        username: "Filler",
        text: `history line ${i} ${"x".repeat(40)}`,
      });
    }
  }
  const server = ProgramProcess.start(
    denoLauncher("server"),
    ["--host", "127.0.0.1", "--port", "0", ...flags],
    { cwd: dir },
  );
  const port = Number((await server.waitFor(/Server listening on 127\.0\.0\.1:(\d+)/))[1]);
  return {
    server,
    port,
    dir,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Reads from `conn` at about `bytesPerSecond`, throwing the bytes away, until it closes. */
async function readSlowly(conn: Deno.Conn, bytesPerSecond: number): Promise<void> {
  const buf = new Uint8Array(Math.floor(bytesPerSecond / 10));
  try {
    while (await conn.read(buf) !== null) await new Promise((r) => setTimeout(r, 100));
  } catch {
    // Closed by the test or dropped by the server: either ends the reading.
  }
}

Deno.test({
  name:
    "a connection that joins and quits every 0.2 s while reading slowly cannot make the server's memory grow",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using srv = await startServerProcess(50_000);
    await using people = await Bystanders.start(srv.port);
    const before = await rssOf(srv.server.pid);
    const rss = sampleRss(srv.server.pid);
    const attacker = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    const reading = readSlowly(attacker, 200_000);
    const join = encodeFrame({ flags: FLAG.JOIN_REQUEST, username: "Mallory" });
    const quit = encodeFrame({ flags: FLAG.QUIT_REQUEST });
    try {
      // 2 frames every 200 ms: 10 a second, inside the default rate limit.
      for (let i = 0; i < 40; i++) {
        await writeAll(attacker, join);
        await writeAll(attacker, quit);
        await new Promise((r) => setTimeout(r, 200));
        if (i % 10 === 9) await people.exchange(`during the loop ${i}`);
      }
    } finally {
      attacker.close();
      await reading;
      await rss.stop();
    }
    const grew = rss.peak() - before;
    console.log(
      `join/quit loop, 8 s on a 50,000-line history: server RSS ${
        (before / MIB).toFixed(0)
      } MiB before, peak ${(rss.peak() / MIB).toFixed(0)} MiB (+${(grew / MIB).toFixed(1)} MiB)`,
    );
    assert.ok(grew < 64 * MIB, `the server's memory grew ${(grew / MIB).toFixed(0)} MiB`);
    await people.assertHealthy(srv.dir);
  },
});

Deno.test({
  name:
    "a member that stops reading while the room chats makes the server hold no more than its budget",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using srv = await startServerProcess(0, ["--no-rate-limit"]);
    await using people = await Bystanders.start(srv.port);
    const before = await rssOf(srv.server.pid);
    const rss = sampleRss(srv.server.pid);
    const slow = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    try {
      await writeAll(slow, encodeFrame({ flags: FLAG.JOIN_REQUEST, username: "Slow" }));
      await people.fun.nextText("Slow joined the chatroom.");
      let dropped = false;
      const left = people.fun.next((f) => isLeave(f, "Slow"), 60_000).then(() => dropped = true);
      const big = "z".repeat(60_000);
      // Until Slow, who reads nothing, is too far behind and dropped: 8 MiB of
      // queue plus what the sockets buffer.
      for (let i = 0; i < 1000 && !dropped; i++) {
        people.cool.say(`${i} ${big}`);
        await people.fun.next((f) =>
          f.flags === 0 && f.payload.length === big.length + `${i} `.length
        );
      }
      await left;
    } finally {
      slow.close();
      await rss.stop();
    }
    const grew = rss.peak() - before;
    console.log(
      `a member that stopped reading, 60 kB lines: server RSS ${
        (before / MIB).toFixed(0)
      } MiB before, peak ${(rss.peak() / MIB).toFixed(0)} MiB (+${(grew / MIB).toFixed(1)} MiB)`,
    );
    assert.ok(grew < 48 * MIB, `the server's memory grew ${(grew / MIB).toFixed(0)} MiB`);
    await people.assertHealthy(srv.dir);
  },
});

function isLeave(frame: { flags: number; payload: Uint8Array }, name: string): boolean {
  return (frame.flags & FLAG.QUIT_ACCEPT) !== 0 &&
    new TextDecoder().decode(frame.payload) === `${name} left the chatroom.`;
}
