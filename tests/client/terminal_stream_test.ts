/**
 * The real terminal client (client.ts as a subprocess, piped stdin) against
 * a fake server that forwards attachments as they arrive (STREAM
 * transfers): the printed attachment line is the one a whole attachment
 * gets, with END's time; a discarded transfer is one line with the reason;
 * a server that breaks a transfer's rules is left with a message, and no
 * file stays behind.
 */
import assert from "node:assert/strict";
import { FLAG, hasFlag, JOIN_OPTION } from "../../lib/shared/wire/flags.ts";
import { stamp } from "../../lib/shared/format.ts";
import { type FakeScript, FakeServer } from "../support/fake_server.ts";
import { joinAs, startTerminalClient } from "../support/client_programs.ts";
import { STREAM_STORED, streamFrames as frames } from "../support/stream_frames.ts";

/** A fake server that accepts a join asking ECHO|STREAM (no history), then runs `inRoom`. */
function streamingServer(inRoom: FakeScript): FakeServer {
  return FakeServer.start(async (frame, peer) => {
    if (hasFlag(frame, FLAG.QUIT_REQUEST)) {
      await peer.send({ flags: FLAG.QUIT_ACCEPT, username: "Cool" });
    }
    if (!hasFlag(frame, FLAG.JOIN_REQUEST)) return;
    assert.equal(frame.number, JOIN_OPTION.ECHO | JOIN_OPTION.STREAM);
    await peer.send({ flags: FLAG.JOIN_ACCEPT, username: frame.username, number: 0 });
    await inRoom(frame, peer);
  });
}

/** Every name in `dir`/downloads, hidden ones included. */
async function downloads(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${dir}/downloads`)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

const when = `[${stamp(STREAM_STORED)}]`;

Deno.test("the terminal client prints a streamed attachment as a whole one, and a discarded one in a line", async () => {
  const hello = { name: "hello.txt", bytes: new TextEncoder().encode("hello from a stream\n") };
  const big = { name: "big.bin", bytes: new Uint8Array(30_000), sender: "Fire" };
  const reason = "Fire's upload of big.bin broke off after 9.8 KiB of 29.3 KiB.";
  await using fake = streamingServer(async (_, peer) => {
    await peer.send(frames.begin(1, hello));
    await peer.send(frames.begin(2, big));
    await peer.send(frames.data(1, hello.bytes.subarray(0, 6)));
    await peer.send(frames.data(2, big.bytes.subarray(0, 10_000)));
    await peer.send(frames.chat("meanwhile"));
    await peer.send(frames.data(1, hello.bytes.subarray(6)));
    await peer.send(frames.end(1, hello));
    await peer.send(frames.discard(2, reason));
  });
  const dir = await Deno.makeTempDir({ prefix: "terminal-stream-" });
  try {
    await using client = await startTerminalClient(fake.port, dir);
    await joinAs(client, "Cool");
    await client.waitFor(`${when} Fire: [attachment big.bin discarded: ${reason}]\n`);
    assert.ok(
      client.stdout.endsWith(
        `(The chatroom has no history yet.)\n` +
          `${when} Cool: meanwhile\n` +
          `${when} Fun: hello from a stream\n` +
          `  (attachment hello.txt, 20 bytes, saved to downloads/hello.txt)\n` +
          `${when} Fire: [attachment big.bin discarded: ${reason}]\n`,
      ),
      client.stdout,
    );
    assert.equal(await Deno.readTextFile(`${dir}/downloads/hello.txt`), "hello from a stream\n");
    assert.deepEqual(await downloads(dir), ["hello.txt"]);
    await client.type("q");
    await client.waitFor("Your choice: ");
    await client.type("3");
    assert.equal((await client.exited()).code, 0);
    assert.equal(client.stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the terminal client leaves a server that breaks a transfer's rules, with a message and no file", async () => {
  const file = { name: "x.bin", bytes: new Uint8Array(1000) };
  await using fake = streamingServer(async (_, peer) => {
    await peer.send(frames.begin(1, file));
    await peer.send(frames.data(1, file.bytes.subarray(0, 400)));
    await peer.send(frames.data(7, file.bytes.subarray(400)));
  });
  const dir = await Deno.makeTempDir({ prefix: "terminal-stream-" });
  try {
    await using client = await startTerminalClient(fake.port, dir);
    await joinAs(client, "Cool");
    await client.waitFor(
      "The server broke the protocol: DATA for transfer 7, which is not open; " +
        "the connection was closed.\n",
    );
    await client.waitFor("Your choice: ");
    assert.deepEqual(await downloads(dir), []);
    await client.type("3");
    assert.equal((await client.exited()).code, 0);
    assert.equal(client.stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
