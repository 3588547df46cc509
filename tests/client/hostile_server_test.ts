/**
 * The real terminal client (client.ts as a subprocess, piped stdin) against
 * a server that cannot be trusted: a fake server on 127.0.0.1 sends
 * hand-built frames, and every text it sends is printed inert, no line of
 * it can pass for a line of its own, and nothing it announces fills the disk.
 */
import assert from "node:assert/strict";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { clock, stamp } from "../../lib/shared/format.ts";
import { hasUnsafeChars } from "../../lib/shared/text.ts";
import { type FakeScript, FakeServer } from "../support/fake_server.ts";
import { denoLauncher, ProgramProcess } from "../support/program_process.ts";

const TIME = Date.UTC(2024, 0, 2, 20, 36, 22);
const HOSTILE = "\x1b[2J\x1b]0;pwned\x07";
const SHOWN = "\\x1b[2J\\x1b]0;pwned\\x07";

/** A fake server that accepts any join (no history), then runs `inRoom` right after. */
function acceptingServer(inRoom: FakeScript = () => {}): FakeServer {
  return FakeServer.start(async (frame, peer) => {
    if (hasFlag(frame, FLAG.JOIN_REQUEST)) {
      await peer.send({ flags: FLAG.JOIN_ACCEPT, username: frame.username, number: 0 });
      await inRoom(frame, peer);
    }
  });
}

/** The client's process and its folder (removed on dispose). */
interface Client extends AsyncDisposable {
  process: ProgramProcess;
  /** The client's working folder; downloads go to `downloads/` in it. */
  dir: string;
}

/** Starts client.ts in a folder of its own against `port`, waiting for the menu. */
async function startClient(port: number, ...args: string[]): Promise<Client> {
  const dir = await Deno.makeTempDir({ prefix: "hostile-server-" });
  const process = ProgramProcess.start(
    denoLauncher("client"),
    ["--port", String(port), ...args],
    { cwd: dir, label: "client" },
  );
  await process.waitFor("Your choice: ");
  return {
    process,
    dir,
    async [Symbol.asyncDispose]() {
      await process[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The names in the client's downloads folder, staging files aside. */
async function downloads(client: Client): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${client.dir}/downloads`)) {
      if (!entry.name.startsWith(".")) names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error; // never created: nothing saved
  }
  return names;
}

async function join({ process: client }: Client, username: string): Promise<void> {
  await client.type("2");
  await client.type(username);
  await client.waitFor("The server welcomes you to the chatroom.");
}

/** The client's output holds newlines and tabs, and no other control or format character. */
function assertInert(output: string): void {
  assert.ok(!hasUnsafeChars(output.replaceAll(/[\n\t]/g, "")), JSON.stringify(output));
}

Deno.test("a chat line holding newlines shows them indented under its sender", async () => {
  const forged = `[${clock(TIME)}] Server: Fire left the chatroom.`;
  await using fake = acceptingServer(async (_, peer) => {
    await peer.send({ sender: "Mallory", timestamp: TIME, payload: `bye\n${forged}\nok` });
  });
  await using started = await startClient(fake.port);
  const client = started.process;
  await join(started, "Cool");
  // A line from another day shows its date; its continuation lines start under the sender.
  const indent = " ".repeat(`[${stamp(TIME)}] `.length);
  await client.waitFor(`[${stamp(TIME)}] Mallory: bye\n${indent}${forged}\n${indent}ok\n`);
  assert.ok(!client.stdout.includes(`\n${forged}`), "the forged line starts a line of its own");
  await client.type("q");
});

Deno.test("server texts outside the room are printed inert", async (t) => {
  await t.step("a join-reject text", async () => {
    await using fake = FakeServer.start(async (frame, peer) => {
      if (!hasFlag(frame, FLAG.JOIN_REQUEST)) return;
      await peer.send({ flags: FLAG.JOIN_REJECT, payload: `Rejected ${HOSTILE}\n[t] Server: ok` });
    });
    await using started = await startClient(fake.port);
    const client = started.process;
    await client.type("2");
    await client.type("Cool");
    await client.waitFor(`Rejected ${SHOWN}\n  [t] Server: ok\n`);
    await client.waitFor("Your choice: ");
    assertInert(client.stdout);
  });
  await t.step("an ERROR before joining", async () => {
    await using fake = FakeServer.start(async (frame, peer) => {
      if (!hasFlag(frame, FLAG.JOIN_REQUEST)) return;
      await peer.send({ flags: FLAG.ERROR, payload: `Broken ${HOSTILE}` });
    });
    await using started = await startClient(fake.port);
    const client = started.process;
    await client.type("2");
    await client.type("Cool");
    await client.waitFor(`Broken ${SHOWN}\n`);
    await client.waitFor("Your choice: ");
    assertInert(client.stdout);
  });
  await t.step("the report's host field", async () => {
    await using fake = FakeServer.start(async (frame, peer) => {
      if (!hasFlag(frame, FLAG.REPORT_REQUEST)) return;
      const payload = `Cool\t10.0.0.1${HOSTILE}\t4242\n`;
      await peer.send({ flags: FLAG.REPORT_RESPONSE, number: 1, payload });
    });
    await using started = await startClient(fake.port);
    const client = started.process;
    await client.type("1");
    await client.waitFor(`1. Cool at IP: 10.0.0.1${SHOWN} and port: 4242.`);
    assertInert(client.stdout);
  });
});

Deno.test("an attachment over --max-download is skipped and the user stays in the room", async () => {
  const size = 2 * 1024 * 1024;
  await using fake = acceptingServer(async (_, peer) => {
    const header = { flags: FLAG.ATTACHMENT, sender: "Mallory", filename: "big.bin" };
    await peer.sendRaw(encodeFrame({ ...header, timestamp: TIME, payloadLength: size }));
    await peer.sendRaw(new Uint8Array(size));
    await peer.send({ sender: "Mallory", timestamp: TIME, payload: "still here?" });
  });
  await using started = await startClient(fake.port, "--max-download", "1M");
  const client = started.process;
  await join(started, "Cool");
  await client.waitFor("] Mallory: [attachment big.bin could not be saved]\n");
  await client.waitFor(
    `  it is ${size} bytes, over this client's limit of 1048576 bytes (--max-download); skipped`,
  );
  await client.waitFor("] Mallory: still here?");
  assert.deepEqual(await downloads(started), []);
  await client.type("q");
});

Deno.test("a 1 PiB attachment closes the connection with a clear line, nothing written", async () => {
  await using fake = acceptingServer(async (_, peer) => {
    const header = { flags: FLAG.ATTACHMENT, sender: "Mallory", filename: "huge.bin" };
    await peer.sendRaw(encodeFrame({ ...header, timestamp: TIME, payloadLength: 2 ** 50 }));
    await peer.sendRaw(new Uint8Array(64 * 1024)); // the start of "a petabyte"
  });
  await using started = await startClient(fake.port);
  const client = started.process;
  await join(started, "Cool");
  await client.waitFor(
    /The server sent something this client cannot read: .*"huge\.bin" is 1125899906842624 bytes .*too big to skip/,
  );
  await client.waitFor("Your choice: ");
  assert.deepEqual(await downloads(started), []);
});

Deno.test("a username the wire cannot carry is refused and the client stays usable", async () => {
  await using fake = FakeServer.start(async (frame, peer) => {
    if (hasFlag(frame, FLAG.REPORT_REQUEST)) await peer.send({ flags: FLAG.REPORT_RESPONSE });
  });
  await using started = await startClient(fake.port);
  const client = started.process;
  await client.type("2");
  await client.type("漢".repeat(22)); // 22 characters, 66 bytes
  await client.waitFor("the username is 66 bytes in UTF-8, over the protocol's limit of 64 bytes");
  await client.waitFor("Your choice: ");
  await client.type("1");
  await client.waitFor("There are 0 active users in the chatroom.");
  await client.type("3");
  const status = await client.exited();
  assert.equal(status.code, 0, client.output);
  assert.doesNotMatch(client.stderr, /Uncaught|error/i);
});

Deno.test("in piped mode, the server going away prints no escape sequence", async () => {
  await using fake = acceptingServer((_, peer) => peer.close());
  await using started = await startClient(fake.port);
  const client = started.process;
  await join(started, "Cool");
  await client.waitFor("The server closed the connection.");
  await client.waitFor("Your choice: ");
  assert.ok(!client.stdout.includes("\x1b"), JSON.stringify(client.stdout));
});
