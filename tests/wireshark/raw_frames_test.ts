/**
 * The dissector on bytes the terminal client never sends: a burst of frames
 * coalesced into one TCP segment, and malformed frames, written by hand on a
 * raw socket while dumpcap captures loopback.
 */
import assert from "node:assert/strict";
import {
  Capture,
  concat,
  dissectorFailures,
  encode,
  onConnection,
  readUntil,
  requireTshark,
  Server,
  serverTrace,
  tshark,
  wireFrames,
  workDir,
} from "./capture.ts";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { writeAll } from "../../lib/shared/net/byte_conn.ts";

const JOIN_REQUEST = 0x0004;
const QUIT_REQUEST = 0x0040;
const QUIT_ACCEPT = 0x0080;
const ATTACHMENT = 0x0100;
const ERROR = 0x0400;
const STREAM = 0x4000;

/** A server, a capture of its port and a scratch folder, for one test. */
async function setUp(name: string) {
  await requireTshark();
  const dir = await Deno.makeTempDir({ prefix: "chatroom_wireshark_" });
  const server = await Server.start(await workDir(dir, "server"), ["--no-rate-limit"]);
  const capture = await Capture.start(`${dir}/${name}.pcap`, server.port);
  return { dir, server, capture };
}

Deno.test("tshark splits a join and 100 chat lines written at once into 102 frames of one segment", async () => {
  const { dir, server, capture } = await setUp("burst");
  let port = 0;
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    port = conn.localAddr.port;
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1} of the burst`);
    await conn.write(concat([
      encode({ flags: JOIN_REQUEST, username: "Burst" }),
      ...lines.map((payload) => encode({ payload })),
      encode({ flags: QUIT_REQUEST }),
    ]));
    const flags = await readUntil(conn, QUIT_ACCEPT);
    conn.close();
    assert.equal(flags.at(-1), QUIT_ACCEPT);
  } finally {
    await capture.stop(server.port);
    await server.stop();
  }

  const frames = await wireFrames(capture.file, server.port);
  const [id] = [...server.connections()].find(([, p]) => p === port)!;
  const traced = serverTrace(server, id);
  assert.equal(traced.sent.length, 102);
  assert.deepEqual(onConnection(frames, port), traced);
  // All 102 frames from the client came in one TCP segment, and were all decoded from it.
  const fromClient = frames.filter((f) => f.srcport === port);
  assert.equal(new Set(fromClient.map((f) => f.packet)).size, 1);
  assert.equal(await dissectorFailures(capture.file, server.port), "", "no Lua errors");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tshark marks bad magic, an unknown version, a bad header and a header cut short as expert errors", async () => {
  const { dir, server, capture } = await setUp("malformed");
  const ports: Record<string, number> = {};
  try {
    const cases: [string, Uint8Array, boolean][] = [
      ["magic", new TextEncoder().encode("GET / HTTP/1.1\r\nHost: chatroom\r\n\r\n"), false],
      ["version", encode({ flags: JOIN_REQUEST, username: "Two", version: 2 }), false],
      ["reserved", encode({ flags: JOIN_REQUEST, username: "Res", reserved: 7 }), false],
      ["short", encode({ flags: JOIN_REQUEST, username: "Short" }).subarray(0, 20), true],
    ];
    for (const [name, bytes, closeWrite] of cases) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      ports[name] = conn.localAddr.port;
      await conn.write(bytes);
      if (closeWrite) await conn.closeWrite();
      await readUntil(conn, 0); // until the server closes the connection
      conn.close();
    }
  } finally {
    await capture.stop(server.port);
    await server.stop();
  }

  // Each case's packet from the client carries an error naming what is wrong.
  const text = await tshark(capture.file, server.port, [
    "-Y",
    "chatroom && _ws.expert.severity == error",
    "-T",
    "fields",
    "-e",
    "tcp.srcport",
    "-e",
    "_ws.expert.message",
  ]);
  const errors = new Map<number, string>();
  for (const line of text.trim().split("\n")) {
    const [port, message] = line.split("\t");
    errors.set(Number(port), (errors.get(Number(port)) ?? "") + message);
  }
  assert.match(
    errors.get(ports.magic) ?? "",
    /Bad magic: the frame starts with 47 45, expected 43 52/,
  );
  assert.match(errors.get(ports.version) ?? "", /Protocol version 2 is not supported/);
  assert.match(errors.get(ports.reserved) ?? "", /Reserved byte is not 0/);
  assert.match(
    errors.get(ports.short) ?? "",
    /The connection closed inside a frame header \(20 of at least 33 bytes\)/,
  );

  // The server's answers (ERROR frames) decode as it traced them.
  const frames = await wireFrames(capture.file, server.port);
  for (const [id, port] of server.connections()) {
    if (!Object.values(ports).includes(port)) continue;
    assert.deepEqual(onConnection(frames, port).received, serverTrace(server, id).received);
  }
  const codes = frames.filter((f) => f.fields["chatroom.error_flag"] === "1")
    .map((f) => f.fields["chatroom.code"]);
  assert.deepEqual(codes.slice(0, 3), ["100", "101", "102"]);
  assert.equal(await dissectorFailures(capture.file, server.port), "", "no Lua errors");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tshark shows a transfer's BEGIN, DATA, END and DISCARD (code 16) as the server traced them", async () => {
  const { dir, server, capture } = await setUp("stream");
  let funPort = 0;
  try {
    const fun = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    funPort = fun.localAddr.port;
    const funReader = new FrameReader(fun);
    await writeAll(fun, encodeFrame({ flags: JOIN_REQUEST, username: "Fun", number: 2 }));
    const fire = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await writeAll(fire, encodeFrame({ flags: JOIN_REQUEST, username: "Fire", number: 1 }));
    const file = new Uint8Array(300_000).fill(42);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", file));
    const upload = (sha256: Uint8Array) =>
      encodeFrame({ flags: ATTACHMENT, filename: "s.bin", sha256, payload: file });
    await writeAll(fire, upload(digest));
    await writeAll(fire, upload(new Uint8Array(32)));
    // Fun reads until the second transfer's DISCARD.
    for (;;) {
      const frame = await funReader.readFrame(file.length);
      if (!frame) throw new Error("the server closed Fun's connection");
      if (frame.flags === (STREAM | ERROR)) break;
    }
    fun.close();
    fire.close();
  } finally {
    await capture.stop(server.port);
    await server.stop();
  }
  const frames = await wireFrames(capture.file, server.port);
  const funId = [...server.connections()].find(([, port]) => port === funPort)![0];
  assert.deepEqual(onConnection(frames, funPort).received, serverTrace(server, funId).received);
  const kinds = await tshark(capture.file, server.port, [
    "-Y",
    "chatroom.stream_flag == 1",
    "-T",
    "fields",
    "-e",
    "chatroom.kind",
    "-e",
    "chatroom.code",
  ]);
  // One line per TCP segment; a segment that holds several frames lists their kinds and
  // codes comma-separated, in the same order ("STREAM_DATA,STREAM_DISCARD\t0,16").
  const pairs = kinds.trim().split("\n").flatMap((line) => {
    const [names, codes] = line.split("\t");
    const codeList = (codes ?? "").split(",");
    return names.split(",").map((name, i) => `${name} ${codeList[i]}`);
  });
  assert.ok(pairs.includes("STREAM_BEGIN 0"), kinds);
  assert.ok(pairs.includes("STREAM_DATA 0"), kinds);
  assert.ok(pairs.includes("STREAM_DISCARD 16"), kinds);
  assert.equal(await dissectorFailures(capture.file, server.port), "", "no Lua errors");
  await Deno.remove(dir, { recursive: true });
});
