/**
 * The Wireshark dissector (wireshark/chatroom.lua) against real traffic: the
 * programs run with `--trace` while dumpcap captures loopback, then tshark
 * decodes the capture and every frame the programs traced must be on the wire
 * with the same fields, in the same order.
 */
import assert from "node:assert/strict";
import {
  Capture,
  Client,
  clientTrace,
  type Directions,
  dissectorFailures,
  onConnection,
  requireTshark,
  Server,
  serverTrace,
  tshark,
  type WireFrame,
  wireFrames,
  workDir,
} from "./capture.ts";
import { randomBytes } from "../support/random_bytes.ts";

const COOLFILE =
  "I am on a light diet: I eat in daylight, I eat in moonlight, and sometimes, I eat in refrigerator light!\n";
const BIG = 5 * 1024 * 1024;

/** Escapes text for a RegExp. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

/** Says `text` as `user` and waits until every one of `seen` has it. */
async function say(user: Client, name: string, text: string, seen: Client[]): Promise<void> {
  const marks = seen.map((c) => c.output.length);
  await user.type(text);
  await Promise.all(seen.map((c, i) => c.waitFor(literal(`${name}: ${text}`), marks[i])));
}

/** Uploads `path` as `user` and waits until every one of `seen` has saved it. */
async function upload(user: Client, path: string, saved: RegExp, seen: Client[]): Promise<void> {
  const marks = seen.map((c) => c.output.length);
  const from = user.output.length;
  await user.type("a");
  await user.waitFor(/Please enter the file path and name:/, from);
  await user.type(path);
  await Promise.all(seen.map((c, i) => c.waitFor(saved, marks[i])));
}

/**
 * Asserts that tshark's frames on each connection are exactly those the
 * server traced: in order from the client; from the server, the same frames,
 * but the order is checked on the clients' side, because the server traces a
 * joiner's history when it streams it out, after the NEW_USER frame that
 * follows the history on the wire.
 */
function assertServerMatches(server: Server, wire: (port: number) => Directions): void {
  let traced = 0;
  for (const [id, port] of server.connections()) {
    const expected = serverTrace(server, id);
    const actual = wire(port);
    assert.deepEqual(actual.sent, expected.sent, `from connection #${id} (port ${port})`);
    assert.deepEqual(
      actual.received.toSorted(),
      expected.received.toSorted(),
      `to connection #${id} (port ${port})`,
    );
    traced += expected.sent.length + expected.received.length;
  }
  assert.ok(traced > 0, "the server traced frames");
}

/** Asserts that a client's trace is the wire's frames on the connections it opened, in order. */
function assertClientMatches(client: Client, wire: (port: number) => Directions, who: string) {
  const onWire = { sent: [] as string[], received: [] as string[] };
  for (const port of client.ports) {
    const { sent, received } = wire(port);
    onWire.sent.push(...sent);
    onWire.received.push(...received);
  }
  assert.deepEqual(onWire, clientTrace(client), who);
}

Deno.test("tshark shows every frame of the section-7 session and a 5 MiB attachment as the programs traced them", async () => {
  await requireTshark();
  const dir = await Deno.makeTempDir({ prefix: "chatroom_wireshark_" });
  const server = await Server.start(await workDir(dir, "server"));
  const capture = await Capture.start(`${dir}/section7.pcap`, server.port);
  const clients: Client[] = [];
  try {
    const start = async (name: string) => {
      const client = await Client.start(server, await workDir(dir, name));
      clients.push(client);
      return client;
    };
    const cool = await start("cool");
    const fun = await start("fun");
    const fire = await start("fire");
    const sad = await start("sad");
    await Deno.writeTextFile(`${dir}/fire/attachments/coolfile1.txt`, COOLFILE);
    await Deno.writeFile(`${dir}/cool/attachments/big.bin`, randomBytes(BIG));

    // Steps 2 and 3: Cool joins and says Hi; Fun joins, sees it, and they chat.
    await cool.join("Cool");
    await say(cool, "Cool", "Hi", [cool]);
    await fun.join("Fun");
    await say(fun, "Fun", "Hi Cool, are you there?", [cool, fun]);
    await say(cool, "Cool", "Hey Fun, glad that you joined. We can chat now.", [cool, fun]);
    await say(fun, "Fun", "Let's wait for Fire. He wanted to join.", [cool, fun]);
    await say(cool, "Cool", "Ok", [cool, fun]);

    // Step 4: a third client asks for "Fun" (rejected), then joins as Fire on the same connection.
    await fire.choose("2", /Another user is using this username[\s\S]*Your choice:/, "Fun");
    await fire.join("Fire");

    // Step 5: Sad is rejected (room full), gets the report, and leaves.
    await sad.choose("2", /maximum capacity[\s\S]*Your choice:/, "Sad");
    await sad.choose("1", /There are 3 active users[\s\S]*Your choice:/);
    assert.equal((await sad.quitProgram()).success, true);

    // Step 6: chat, then Fire uploads attachments/coolfile1.txt.
    const room = [cool, fun, fire];
    await say(fire, "Fire", "Hey guys! I just joined.", room);
    await say(cool, "Cool", "What's up Fire?", room);
    await say(fun, "Fun", "Hey Fire.", room);
    await say(fire, "Fire", "Guys, I want to attach a cool file!", room);
    await upload(fire, "attachments/coolfile1.txt", /coolfile1\.txt.*saved/, room);

    // And a 5 MiB file from Cool: many TCP segments, streamed past the reassembly limit.
    await upload(cool, "attachments/big.bin", /big\.bin.*saved/, room);

    // Step 7: more chat; Fire says goodbye and quits.
    await say(fun, "Fun", "Hahaha", room);
    await say(cool, "Cool", "That was cool! :)", room);
    await say(fire, "Fire", "Alright guys. I should leave now. Buy.", room);
    const marks = [cool, fun].map((c) => c.output.length);
    await fire.leave();
    await cool.waitFor(/Server: Fire left the chatroom\./, marks[0]);
    await fun.waitFor(/Server: Fire left the chatroom\./, marks[1]);

    // Step 8: Cool says goodbye; Fire joins again and gets it all in the history.
    await say(cool, "Cool", "Buy Fire.", [cool, fun]);
    await fire.join("Fire");
    for (const c of room) {
      await c.leave();
      assert.equal((await c.quitProgram()).success, true);
    }
  } finally {
    await capture.stop(server.port);
    for (const c of clients) await c.stop();
    await server.stop();
  }

  const frames = await wireFrames(capture.file, server.port);
  const wire = (port: number) => onConnection(frames, port);
  assertServerMatches(server, wire);
  for (const [i, who] of ["Cool", "Fun", "Fire", "Sad"].entries()) {
    assertClientMatches(clients[i], wire, who);
  }
  // The 5 MiB attachment went up once as one frame and came back to Fire once in the history.
  const bigOnes = frames.filter((f) =>
    f.fields["chatroom.payload_length"] === String(BIG) && f.fields["chatroom.echo_flag"] === "0"
  );
  assert.equal(bigOnes.length, 2);
  // Fun and Fire (who join with STREAM) got it live as a transfer: BEGIN, DATA frames of all
  // 5 MiB, END, each on its own connection, with one id.
  const stream = (f: WireFrame) => f.fields["chatroom.stream_flag"] === "1";
  const begins = frames.filter((f) =>
    stream(f) && f.fields["chatroom.attachment_flag"] === "1" &&
    f.fields["chatroom.filename"] === "big.bin"
  );
  assert.equal(begins.length, 2);
  for (const begin of begins) {
    const id = begin.fields["chatroom.number"];
    const transfer = frames.filter((f) =>
      stream(f) && f.fields["chatroom.attachment_flag"] === "0" && f.dstport === begin.dstport &&
      f.fields["chatroom.number"] === id
    );
    const sizes = transfer.map((f) => Number(f.fields["chatroom.payload_length"]));
    assert.equal(sizes.at(-1), 0, "the transfer ends with END");
    assert.equal(sizes.reduce((a, b) => a + b, 0), BIG);
    assert.equal(transfer.at(-1)!.fields["chatroom.sha256"], begin.fields["chatroom.sha256"]);
  }
  // Dissected a second time (as Wireshark's GUI does when a packet is clicked), frames are the same.
  assert.deepEqual(await wireFrames(capture.file, server.port, ["-2"]), frames);

  // The Info column reads like the trace.
  const info = (await tshark(capture.file, server.port, [
    "-Y",
    "chatroom.magic",
    "-T",
    "fields",
    "-e",
    "_ws.col.Info",
  ])).split("\n").join(", ");
  for (
    const expected of [
      "JOIN_REQUEST Fire",
      "CHAT Fire: Hey guys! I just joined.",
      "CHAT: Hey guys! I just joined.",
      `ATTACHMENT coolfile1.txt ${COOLFILE.length} B`,
      "ATTACHMENT attachments/big.bin 5.0 MiB",
      "JOIN_REJECT: The server rejects the join request. Another user is using this username.",
      "JOIN_REJECT: The server rejects the join request. The chatroom has reached its maximum capacity.",
      "HISTORY CHAT Cool: Buy Fire.",
      "REPORT_RESPONSE 3 users",
    ]
  ) {
    assert.ok(info.includes(expected), `Info has ${JSON.stringify(expected)}`);
  }
  assert.equal(await dissectorFailures(capture.file, server.port), "", "no Lua errors");
  await Deno.remove(dir, { recursive: true });
});
