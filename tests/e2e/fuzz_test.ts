/**
 * Fuzzing a live server: for a few seconds, several attackers send random
 * and mutated frames on fresh connections while a scripted conversation
 * goes on beside them. The conversation must finish intact, the server must
 * not crash, and its connection count must come back to the bystanders'.
 *
 * Replay a failure with `FUZZ_SEED=<seed printed> deno task test`.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { codeName } from "../../lib/shared/wire/protocol_error.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { type FrameInit } from "../../lib/shared/wire/frame.ts";
import { FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { writeAll } from "../../lib/shared/net/byte_conn.ts";
import { startServer, until } from "../support/harness.ts";
import { Bystanders } from "../support/bystanders.ts";

const FUZZ_MS = 3000;
const ATTACKERS = 4;

/** mulberry32: small, seeded, good enough to pick mutations. */
function random(seed: number) {
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const pick = <T>(items: T[]): T => items[int(items.length)];
  return { next, int, bytes, pick };
}
type Random = ReturnType<typeof random>;

/** A frame a client might plausibly send, or nearly. */
function plausibleFrame(r: Random): Uint8Array {
  const text = r.pick(["hi", "", "x".repeat(r.int(3000)), "\x1b[2J\u202e", "😀".repeat(r.int(50))]);
  const body = r.bytes(r.int(2000));
  const inits: FrameInit[] = [
    { flags: FLAG.REPORT_REQUEST },
    {
      flags: FLAG.JOIN_REQUEST,
      username: r.pick(["Cool", "fuzz", "Server", "", " a ", `u${r.int(99)}`]),
    },
    { payload: text },
    { flags: FLAG.QUIT_REQUEST },
    {
      flags: FLAG.ATTACHMENT,
      filename: r.pick(["a.txt", "../x", "CON", "\u0000", "C:\\y.txt"]),
      sha256: r.next() < 0.7
        ? new Uint8Array(createHash("sha256").update(body).digest())
        : r.bytes(32),
      payload: body,
    },
    { flags: r.int(1 << 13), code: r.int(200), number: r.int(2 ** 32), timestamp: r.int(2 ** 40) },
  ];
  return encodeFrame(r.pick(inits));
}

/** A plausible frame, damaged in one of the ways that find parser bugs. */
function mutated(r: Random): Uint8Array {
  const frame = plausibleFrame(r);
  const out = frame.slice();
  switch (r.int(7)) {
    case 0: // as is
      return out;
    case 1: // a few bytes flipped, mostly in the header
      for (let i = r.int(4) + 1; i > 0; i--) out[r.int(Math.min(out.length, 40))] ^= 1 << r.int(8);
      return out;
    case 2: // cut short
      return out.subarray(0, r.int(out.length));
    case 3: // a length field set to something wild
      new DataView(out.buffer, out.byteOffset).setBigUint64(
        20,
        BigInt(r.pick([0, 1, 2 ** 20, 2 ** 40, 2 ** 53])),
      );
      return out;
    case 4: // a string length past what follows
      out[r.pick([28, 29, 32])] = r.int(256);
      return out;
    case 5: // random bytes after a valid start
      return new Uint8Array([...out.subarray(0, 33), ...r.bytes(r.int(500))]);
    default: // noise
      return r.bytes(r.int(300) + 1);
  }
}

interface Tally {
  connections: number;
  frames: number;
  answers: Map<string, number>;
}

/** One attacker: fresh connections, each with a few mutated frames, until the deadline. */
async function attack(port: number, r: Random, deadline: number, tally: Tally): Promise<void> {
  while (Date.now() < deadline) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    tally.connections++;
    const reader = new FrameReader(conn);
    const answers = (async () => {
      try {
        for (let f = await reader.readFrame(2 ** 30); f; f = await reader.readFrame(2 ** 30)) {
          const kind = hasFlag(f, FLAG.ERROR)
            ? codeName(f.code)
            : `flags 0x${f.flags.toString(16)}`;
          tally.answers.set(kind, (tally.answers.get(kind) ?? 0) + 1);
        }
      } catch (_) {
        // We close the connection ourselves, often mid-frame: the read ends one way or another.
      }
    })();
    try {
      for (let i = r.int(5) + 1; i > 0; i--) {
        await writeAll(conn, mutated(r));
        tally.frames++;
      }
      await new Promise((ok) => setTimeout(ok, r.int(30)));
    } catch (_) {
      // The server closed on us after a protocol error: that is its job.
    } finally {
      conn.close();
      await answers;
    }
  }
}

Deno.test("fuzzing a live server: the conversation beside it finishes intact, no crash, no leaked connection", async () => {
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? Date.now() % 2 ** 31);
  console.log(`FUZZ_SEED=${seed}`);
  await using srv = await startServer({ maxUsers: 20, stallTimeoutMs: 300 });
  await using people = await Bystanders.start(srv.port);
  const baseline = srv.server.connections;
  const tally: Tally = { connections: 0, frames: 0, answers: new Map() };
  const deadline = Date.now() + FUZZ_MS;
  const attackers = Array.from(
    { length: ATTACKERS },
    (_, i) => attack(srv.port, random(seed + i), deadline, tally),
  );
  let turn = 0;
  const file = `${srv.dir}/during-fuzz.txt`;
  await Deno.writeTextFile(file, "sent while fuzzed\n");
  while (Date.now() < deadline) {
    await people.exchange(`turn ${++turn}`);
    if (turn === 5) {
      await people.cool.upload(file, "during-fuzz.txt");
      const got = await people.fun.next((f) =>
        hasFlag(f, FLAG.ATTACHMENT) && f.filename === "during-fuzz.txt"
      );
      assert.equal(new TextDecoder().decode(got.payload), "sent while fuzzed\n");
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  await Promise.all(attackers);
  console.log(
    `${tally.connections} connections, ${tally.frames} frames, ${turn} turns of conversation; answers: ${
      JSON.stringify(Object.fromEntries(tally.answers))
    }`,
  );
  assert.ok(turn >= 10, `the conversation kept going (${turn} turns)`);
  await until(
    () => srv.server.connections === baseline,
    "every fuzzing connection is closed",
    5000,
  );
  assert.deepEqual(srv.server.room.members.map((m) => m.username), ["Cool", "Fun"]);
  await people.assertHealthy(srv.dir);
});
