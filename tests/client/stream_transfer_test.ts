/**
 * ChatSession receives attachments forwarded as they arrive (STREAM
 * transfers: BEGIN, DATA…, END or DISCARD) from a scripted fake server on
 * 127.0.0.1: interleaved with chat lines and with each other, checked, and
 * never trusted — every breach of the contract closes the connection with
 * a message and leaves nothing in downloads/.
 */
import assert from "node:assert/strict";
import { ChatSession } from "../../lib/client/session.ts";
import type { RoomEvent } from "../../lib/client/room_event.ts";
import type { TransferProgress } from "../../lib/client/attachment_streams.ts";
import { FLAG, hasFlag, JOIN_OPTION } from "../../lib/shared/wire/flags.ts";
import { MAX_STREAM_CHUNK } from "../../lib/shared/wire/layout.ts";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { type FakePeer, FakeServer } from "../support/fake_server.ts";
import { Recorder } from "../support/recorder.ts";
import { STREAM_STORED as STORED, streamFrames as frames } from "../support/stream_frames.ts";

/** A session in its own downloads folder, recording its events and progress. */
class StreamClient implements AsyncDisposable {
  readonly events = new Recorder<RoomEvent>();
  readonly progress: TransferProgress[] = [];
  readonly session: ChatSession;
  readonly downloads: string;
  #dir: string;

  constructor(port: number, dir: string, maxDownload?: number) {
    this.#dir = dir;
    this.downloads = `${dir}/downloads`;
    this.session = new ChatSession({
      hostname: "127.0.0.1",
      port,
      downloadsDir: this.downloads,
      maxDownload,
      onEvent: this.events.push,
      onProgress: (p) => void this.progress.push(p),
    });
  }

  /** Every name in downloads/, hidden temporary files included. */
  async files(): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(this.downloads)) names.push(entry.name);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return names.sort();
  }

  /** Waits for the event of `type` that `match` accepts, and returns it. */
  async next<T extends RoomEvent["type"]>(
    type: T,
    match: (event: Extract<RoomEvent, { type: T }>) => boolean = () => true,
  ): Promise<Extract<RoomEvent, { type: T }>> {
    const found = () =>
      this.events.items.find((e): e is Extract<RoomEvent, { type: T }> =>
        e.type === type && match(e as Extract<RoomEvent, { type: T }>)
      );
    await this.events.until(() => found() !== undefined, `a ${type} event arrived`);
    return found()!;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.session.close();
    await Deno.remove(this.#dir, { recursive: true });
  }
}

/**
 * A fake server that accepts the join (checking it asked ECHO|STREAM) and
 * then plays `script` to the client, which it hands in once joined.
 */
async function streamingServer(
  script: (peer: FakePeer, client: StreamClient) => Promise<void>,
  options: { maxDownload?: number } = {},
): Promise<{ fake: FakeServer; client: StreamClient; played: Promise<void> }> {
  const joined = Promise.withResolvers<FakePeer>();
  const fake = FakeServer.start(async (frame, peer) => {
    if (!hasFlag(frame, FLAG.JOIN_REQUEST)) return;
    assert.equal(frame.number, JOIN_OPTION.ECHO | JOIN_OPTION.STREAM);
    await peer.send({ flags: FLAG.JOIN_ACCEPT, username: frame.username, number: 0 });
    joined.resolve(peer);
  });
  const dir = await Deno.makeTempDir({ prefix: "stream-transfer-" });
  const client = new StreamClient(fake.port, dir, options.maxDownload);
  assert.deepEqual(await client.session.join("Fire"), { accepted: true, username: "Fire" });
  const played = joined.promise.then((peer) => script(peer, client));
  return { fake, client, played };
}

const text = (s: string) => new TextEncoder().encode(s);

/** `size` bytes of a pattern that shows any byte out of place. */
function pattern(size: number, seed = 7): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
}

Deno.test("a streamed attachment interleaved with chat lines arrives whole; the lines show before END", async () => {
  const file = { name: "notes.txt", bytes: text("first half, second half\n") };
  const { fake, client, played } = await streamingServer(async (peer, client) => {
    await peer.send(frames.begin(1, file));
    await peer.send(frames.data(1, file.bytes.subarray(0, 12)));
    await peer.send(frames.chat("while it arrives"));
    await peer.send(frames.data(1, file.bytes.subarray(12)));
    await peer.send(frames.chat("still arriving"));
    // END only once the client has shown both lines: they were not held behind the file.
    await client.next("chat", (e) => e.text === "still arriving");
    await peer.send(frames.end(1, file));
  });
  await using _fake = fake;
  await using _client = client;
  await played;
  const event = await client.next("attachment");
  const shown = client.events.items.filter((e) => e.type === "chat" || e.type === "attachment");
  assert.deepEqual(shown.map((e) => e.type), ["chat", "chat", "attachment"]);
  assert.equal(event.timestamp, STORED);
  assert.equal(event.sender, "Fun");
  assert.equal(event.filename, "notes.txt");
  assert.equal(event.size, file.bytes.length);
  assert.equal(event.history, false);
  assert.ok(!("error" in event.file), JSON.stringify(event.file));
  assert.equal(event.file.path, `${client.downloads}/notes.txt`);
  assert.deepEqual(event.file.head, file.bytes);
  assert.deepEqual(await Deno.readFile(`${client.downloads}/notes.txt`), file.bytes);
  assert.deepEqual(await client.files(), ["notes.txt"]);
});

Deno.test("two interleaved streamed attachments both arrive whole, under free names", async () => {
  const a = { name: "same.bin", bytes: pattern(3 * MAX_STREAM_CHUNK + 5, 1) };
  const b = { name: "same.bin", bytes: pattern(2 * MAX_STREAM_CHUNK + 9, 2), sender: "Cool" };
  const { fake, client, played } = await streamingServer(async (peer) => {
    await peer.send(frames.begin(4, a));
    await peer.send(frames.begin(5, b));
    for (let at = 0; at < a.bytes.length || at < b.bytes.length; at += MAX_STREAM_CHUNK) {
      const partA = a.bytes.subarray(at, at + MAX_STREAM_CHUNK);
      const partB = b.bytes.subarray(at, at + MAX_STREAM_CHUNK);
      if (partB.length) await peer.send(frames.data(5, partB));
      if (partA.length) await peer.send(frames.data(4, partA));
    }
    await peer.send(frames.end(5, b));
    await peer.send(frames.end(4, a));
  });
  await using _fake = fake;
  await using _client = client;
  await played;
  const fromA = await client.next("attachment", (e) => e.sender === "Fun");
  const fromB = await client.next("attachment", (e) => e.sender === "Cool");
  assert.ok(!("error" in fromA.file) && !("error" in fromB.file));
  assert.equal(fromB.file.name, "same.bin");
  assert.equal(fromA.file.name, "same (2).bin");
  assert.deepEqual(await Deno.readFile(fromA.file.path), a.bytes);
  assert.deepEqual(await Deno.readFile(fromB.file.path), b.bytes);
  assert.deepEqual(await client.files(), ["same (2).bin", "same.bin"]);
  // Each transfer's progress is told apart by its id, and reaches its size.
  const last = (id: number) => client.progress.filter((p) => p.id === id).at(-1);
  assert.deepEqual(last(4), {
    direction: "download",
    filename: "same.bin",
    id: 4,
    done: a.bytes.length,
    total: a.bytes.length,
  });
  assert.equal(last(5)?.done, b.bytes.length);
});

Deno.test("a DISCARD removes the partial file, says why and keeps the connection", async () => {
  const file = { name: "big.bin", bytes: pattern(100_000) };
  const reason = "Fun's upload of big.bin broke off after 48.8 KiB of 97.7 KiB.";
  const { fake, client, played } = await streamingServer(async (peer, client) => {
    await peer.send(frames.begin(2, file));
    await peer.send(frames.data(2, file.bytes.subarray(0, 50_000)));
    await peer.send(frames.chat("marker"));
    await client.next("chat");
    // The partial file exists while the transfer is open, hidden.
    const open = await client.files();
    assert.equal(open.length, 1);
    assert.match(open[0], /^\.incoming-.*\.part$/);
    await peer.send(frames.discard(2, reason));
    await peer.send(frames.chat("after"));
  });
  await using _fake = fake;
  await using _client = client;
  await played;
  const event = await client.next("discarded");
  assert.deepEqual(event, {
    type: "discarded",
    timestamp: STORED,
    sender: "Fun",
    filename: "big.bin",
    reason,
  });
  await client.next("chat", (e) => e.text === "after");
  assert.deepEqual(await client.files(), []);
  assert.ok(client.session.connected);
  assert.ok(!client.events.items.some((e) => e.type === "attachment"));
  // The progress display is told the transfer is over.
  const last = client.progress.at(-1)!;
  assert.equal(last.done, last.total);
});

Deno.test("an END whose bytes do not match the digest deletes the file and says it was damaged", async () => {
  const file = { name: "photo.png", bytes: pattern(5000) };
  const damaged = file.bytes.slice();
  damaged[1234] ^= 0xff;
  const { fake, client, played } = await streamingServer(async (peer) => {
    await peer.send(frames.begin(3, file));
    await peer.send(frames.data(3, damaged));
    await peer.send(frames.end(3, file));
    await peer.send(frames.chat("still here"));
  });
  await using _fake = fake;
  await using _client = client;
  await played;
  const event = await client.next("attachment");
  assert.equal(event.timestamp, STORED);
  assert.ok("error" in event.file);
  assert.match(event.file.error, /photo\.png: its SHA-256 does not match .*damaged in transit/);
  await client.next("chat", (e) => e.text === "still here");
  assert.deepEqual(await client.files(), []);
  assert.ok(client.session.connected);
});

Deno.test("a streamed attachment over the download limit is read, dropped and reported", async () => {
  const file = { name: "huge.bin", bytes: pattern(3000) };
  const { fake, client, played } = await streamingServer(async (peer) => {
    await peer.send(frames.begin(1, file));
    await peer.send(frames.data(1, file.bytes.subarray(0, 1000)));
    await peer.send(frames.data(1, file.bytes.subarray(1000)));
    await peer.send(frames.end(1, file));
    await peer.send(frames.chat("after"));
  }, { maxDownload: 2000 });
  await using _fake = fake;
  await using _client = client;
  await played;
  const event = await client.next("attachment");
  assert.equal(event.size, 3000);
  assert.ok("error" in event.file);
  assert.equal(
    event.file.error,
    "it is 3000 bytes, over this client's limit of 2000 bytes (--max-download); skipped",
  );
  await client.next("chat", (e) => e.text === "after");
  assert.deepEqual(await client.files(), []);
  assert.deepEqual(client.progress, []);
});

Deno.test("a connection lost in the middle of a transfer leaves no temporary file", async () => {
  const file = { name: "cut.bin", bytes: pattern(20_000) };
  const { fake, client, played } = await streamingServer(async (peer, client) => {
    await peer.send(frames.begin(1, file));
    await peer.send(frames.data(1, file.bytes.subarray(0, 9000)));
    await peer.send(frames.chat("marker"));
    await client.next("chat");
    assert.equal((await client.files()).length, 1);
    peer.close();
  });
  await using _fake = fake;
  await using _client = client;
  await played;
  const event = await client.next("disconnected");
  assert.equal(event.reason, "The server closed the connection.");
  assert.deepEqual(await client.files(), []);
});

Deno.test("closing the session in the middle of a transfer leaves no temporary file", async () => {
  const file = { name: "left.bin", bytes: pattern(20_000) };
  const { fake, client, played } = await streamingServer(async (peer, client) => {
    await peer.send(frames.begin(1, file));
    await peer.send(frames.data(1, file.bytes.subarray(0, 9000)));
    await peer.send(frames.chat("marker"));
    await client.next("chat");
  });
  await using _fake = fake;
  await using _client = client;
  await played;
  assert.equal((await client.files()).length, 1);
  await client.session.close();
  assert.deepEqual(await client.files(), []);
});

/** A breach of the contract: what the server sends after a transfer of `FILE` began. */
interface Breach {
  name: string;
  send: (peer: FakePeer) => Promise<void>;
  message: RegExp;
}

const FILE = { name: "x.bin", bytes: pattern(1000) };

const BREACHES: Breach[] = [
  {
    name: "DATA for a transfer that is not open",
    send: (peer) => peer.send(frames.data(9, text("x"))),
    message: /DATA for transfer 9, which is not open/,
  },
  {
    name: "END for a transfer that is not open",
    send: (peer) => peer.send(frames.end(9, FILE)),
    message: /END for transfer 9, which is not open/,
  },
  {
    name: "DISCARD for a transfer that is not open",
    send: (peer) => peer.send(frames.discard(9, "gone")),
    message: /DISCARD for transfer 9, which is not open/,
  },
  {
    name: "a second BEGIN for an open transfer",
    send: (peer) => peer.send(frames.begin(1, FILE)),
    message: /BEGIN for transfer 1, which is already open/,
  },
  {
    name: "a BEGIN whose payload is not 8 bytes",
    send: (peer) => peer.send({ ...frames.begin(2, FILE), payload: new Uint8Array(7) }),
    message: /BEGIN for transfer 2 with a payload of 7 bytes, not the 8 bytes/,
  },
  {
    name: "a BEGIN announcing more than 2^53 - 1 bytes",
    send: (peer) =>
      peer.send({
        ...frames.begin(2, FILE),
        payload: new Uint8Array([0, 0x20, 0, 0, 0, 0, 0, 0]),
      }),
    message: /BEGIN for transfer 2 announces 9007199254740992 bytes, over the largest size/,
  },
  {
    name: "a BEGIN for transfer 0",
    send: (peer) => peer.send(frames.begin(0, FILE)),
    message: /BEGIN for transfer 0, which is not a transfer id/,
  },
  {
    name: "an empty DATA (an END before all the bytes)",
    send: (peer) => peer.send(frames.data(1, new Uint8Array(0))),
    message: /END for transfer 1 after 100 of its 1000 bytes/,
  },
  {
    name: "a DATA over MAX_STREAM_CHUNK",
    send: (peer) => peer.send(frames.data(1, new Uint8Array(MAX_STREAM_CHUNK + 1))),
    message: /DATA for transfer 1 of 262145 bytes, over the limit of 262144/,
  },
  {
    name: "a DATA past the announced size",
    send: (peer) => peer.send(frames.data(1, new Uint8Array(901))),
    message: /DATA for transfer 1 runs to byte 1001, past its size of 1000 bytes/,
  },
  {
    name: "an END before all the bytes",
    send: (peer) => peer.send(frames.end(1, FILE)),
    message: /END for transfer 1 after 100 of its 1000 bytes/,
  },
  {
    name: "an END naming another file than its BEGIN",
    send: async (peer) => {
      await peer.send(frames.data(1, FILE.bytes.subarray(100)));
      await peer.send(frames.end(1, { ...FILE, name: "y.bin" }));
    },
    message: /END for transfer 1 names "y\.bin" from "Fun", but its BEGIN named "x\.bin"/,
  },
  {
    name: "a DISCARD with another code",
    send: (peer) => peer.send({ ...frames.discard(1, "no"), code: CODE.SERVER_ERROR }),
    message: /DISCARD for transfer 1 with code 12, not ATTACHMENT_DISCARDED/,
  },
  {
    name: "a STREAM frame with another flag",
    send: (peer) => peer.send({ ...frames.data(1, text("x")), flags: FLAG.STREAM | FLAG.HISTORY }),
    message: /a STREAM frame with flags 0x4200/,
  },
  {
    name: "a 17th open transfer",
    send: async (peer) => {
      for (let id = 2; id <= 17; id++) await peer.send(frames.begin(id, FILE));
    },
    message: /BEGIN for transfer 17 while 16 transfers are open, over the limit of 16/,
  },
];

Deno.test("a server that breaks a transfer's rules is disconnected, and no file is left", async (t) => {
  for (const breach of BREACHES) {
    await t.step(breach.name, async () => {
      const { fake, client, played } = await streamingServer(async (peer, client) => {
        // Transfer 1 is open with 100 bytes on disk when the breach comes.
        await peer.send(frames.begin(1, FILE));
        await peer.send(frames.data(1, FILE.bytes.subarray(0, 100)));
        await peer.send(frames.chat("marker"));
        await client.next("chat");
        await breach.send(peer);
      });
      await using _fake = fake;
      await using _client = client;
      await played;
      const event = await client.next("disconnected");
      assert.match(event.reason, /^The server broke the protocol: /);
      assert.match(event.reason, breach.message);
      assert.match(event.reason, /; the connection was closed\.$/);
      assert.equal(client.session.connected, false);
      assert.deepEqual(await client.files(), []);
    });
  }
});
