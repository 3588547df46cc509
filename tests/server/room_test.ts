import assert from "node:assert/strict";
import { type SentFrame, sentFrames } from "../support/sent_frames.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { entryFrame } from "../../lib/server/room/entry_frame.ts";
import { type Outgoing } from "../../lib/server/room/outgoing.ts";
import { Room } from "../../lib/server/room/room.ts";
import { TEXT } from "../../lib/server/room/room_text.ts";

const peer = (port: number) => ({ hostname: "127.0.0.1", port });

function clockRoom(maxUsers = 3) {
  let t = 1_000;
  return new Room({ maxUsers, now: () => t += 1000 });
}

function frameOf(out: Outgoing | SentFrame) {
  if ("frame" in out) return out.frame;
  if (out.kind === "live") return entryFrame(out.entry, false);
  throw new Error("Several frames: take them apart with sentFrames() first");
}

function payloadText(out: Outgoing | SentFrame): string {
  const p = frameOf(out).payload;
  return typeof p === "string" ? p : new TextDecoder().decode(p);
}

Deno.test("Room accepts a join and announces it to everyone, the new user included", {
  permissions: "none",
}, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1001));
  const out = sentFrames(room.join(2, "Fun", peer(1002)).out, room.history);
  assert.equal(frameOf(out[0]).flags, FLAG.JOIN_ACCEPT);
  assert.equal(frameOf(out[0]).username, "Fun");
  const announce = out.at(-1)!;
  assert.deepEqual(announce.to, [1, 2]);
  assert.equal(frameOf(announce).flags, FLAG.NEW_USER);
  assert.equal(frameOf(announce).username, "Fun");
  assert.equal(payloadText(announce), "Fun joined the chatroom.");
});

Deno.test("Room rejects a fourth user with the capacity text, before looking at the name", {
  permissions: "none",
}, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1));
  room.join(2, "Fun", peer(2));
  room.join(3, "Fire", peer(3));
  const [reject] = sentFrames(room.join(4, "Cool", peer(4)).out, room.history);
  assert.deepEqual(reject.to, [4]);
  assert.equal(frameOf(reject).flags, FLAG.JOIN_REJECT);
  assert.equal(frameOf(reject).code, CODE.ROOM_FULL);
  assert.equal(
    payloadText(reject),
    "The server rejects the join request. The chatroom has reached its maximum capacity.",
  );
  assert.equal(room.members.length, 3);
});

Deno.test(
  "Room rejects a username in use, whatever its case or width",
  { permissions: "none" },
  async (t) => {
    for (const name of ["Fun", "fun", "FUN", "ＦＵＮ"]) {
      await t.step(name, () => {
        const room = clockRoom();
        room.join(1, "Fun", peer(1));
        const [reject] = sentFrames(room.join(2, name, peer(2)).out, room.history);
        assert.equal(frameOf(reject).code, CODE.USERNAME_TAKEN);
        assert.equal(
          payloadText(reject),
          "The server rejects the join request. Another user is using this username.",
        );
      });
    }
  },
);

Deno.test(
  "Room rejects usernames that are empty, too long, or unsafe",
  { permissions: "none" },
  async (t) => {
    const cases: [string, RegExp][] = [
      ["", /it is empty/],
      ["   ", /it is empty/],
      [" Cool", /starts or ends with a space/],
      ["x".repeat(33), /longer than 32 characters/],
      ["a\u0007b", /control or formatting/],
      ["evil\u001b[2J", /control or formatting/],
      ["\u202eloof", /control or formatting/],
      ["server", /reserved for the server/],
    ];
    for (const [name, why] of cases) {
      await t.step(JSON.stringify(name), () => {
        const room = clockRoom();
        const [reject] = sentFrames(room.join(1, name, peer(1)).out, room.history);
        assert.equal(frameOf(reject).code, CODE.INVALID_USERNAME);
        assert.match(payloadText(reject), why);
        assert.equal(room.members.length, 0);
      });
    }
  },
);

Deno.test("Room sends a joining user the whole history, in order, before the announcement", {
  permissions: "none",
}, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1));
  room.chat(1, "Hi");
  room.join(2, "Fun", peer(2));
  room.chat(2, "Hi Cool, are you there?");
  room.quit(2);
  room.chat(1, "Buy Fun.");
  const out = sentFrames(room.join(3, "Fire", peer(3)).out, room.history);
  assert.equal(frameOf(out[0]).number, 6);
  const replay = out.slice(1, 7);
  assert.ok(replay.every((o) => o.kind === "replay" && o.to[0] === 3));
  assert.deepEqual(replay.map(payloadText), [
    "Cool joined the chatroom.",
    "Hi",
    "Fun joined the chatroom.",
    "Hi Cool, are you there?",
    "Fun left the chatroom.",
    "Buy Fun.",
  ]);
  assert.ok(replay.every((o) => (frameOf(o).flags! & FLAG.HISTORY) !== 0));
  const times = replay.map((o) => frameOf(o).timestamp!);
  assert.deepEqual([...times].sort((a, b) => a - b), times);
  assert.equal(payloadText(out[7]), "Fire joined the chatroom.");
});

Deno.test("Room keeps only the last entries for a joiner when historyLimit is set", {
  permissions: "none",
}, () => {
  const room = new Room({ historyLimit: 2 });
  room.join(1, "Cool", peer(1));
  room.chat(1, "one");
  room.chat(1, "two");
  const out = sentFrames(room.join(2, "Fun", peer(2)).out, room.history);
  assert.equal(frameOf(out[0]).number, 2);
  assert.deepEqual(out.slice(1, 3).map(payloadText), ["one", "two"]);
});

Deno.test("Room refuses messages, uploads and quits from users who have not joined", {
  permissions: "none",
}, () => {
  const room = clockRoom();
  for (const out of [room.chat(7, "hello"), room.quit(7), [room.uploadRefusal(7)!]]) {
    assert.equal(out.length, 1);
    assert.equal(frameOf(out[0]).flags, FLAG.ERROR);
    assert.equal(frameOf(out[0]).code, CODE.NOT_JOINED);
  }
  assert.equal(room.history.count(), 0);
});

Deno.test("Room refuses a second join on a joined connection", { permissions: "none" }, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1));
  const [out] = sentFrames(room.join(1, "Other", peer(1)).out, room.history);
  assert.equal(frameOf(out).code, CODE.ALREADY_JOINED);
  assert.deepEqual(room.members.map((m) => m.username), ["Cool"]);
});

Deno.test("Room tells the leaver and the others on quit, and frees the name", {
  permissions: "none",
}, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1));
  room.join(2, "Fire", peer(2));
  const [out] = room.quit(2);
  assert.deepEqual(out.to, [1, 2]);
  assert.equal(frameOf(out).flags, FLAG.QUIT_ACCEPT);
  assert.equal(frameOf(out).username, "Fire");
  assert.equal(payloadText(out), "Fire left the chatroom.");
  assert.equal(
    frameOf(sentFrames(room.join(3, "Fire", peer(3)).out, room.history)[0]).flags,
    FLAG.JOIN_ACCEPT,
  );
});

Deno.test("Room treats a vanished connection as a quit, told to the others only", {
  permissions: "none",
}, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1));
  room.join(2, "Fun", peer(2));
  const [out] = room.disconnect(2);
  assert.deepEqual(out.to, [1]);
  assert.equal(payloadText(out), TEXT.left("Fun"));
  assert.deepEqual(room.disconnect(9), []);
});

Deno.test(
  "Room reports active users with the address they joined from",
  { permissions: "none" },
  () => {
    const room = clockRoom();
    room.join(1, "Cool", { hostname: "192.168.1.5", port: 35465 });
    room.join(2, "Fun", { hostname: "::1", port: 7265 });
    const [out] = room.report(3);
    assert.equal(frameOf(out).flags, FLAG.REPORT_RESPONSE);
    assert.equal(frameOf(out).number, 2);
    assert.equal(payloadText(out), "Cool\t192.168.1.5\t35465\nFun\t::1\t7265\n");
  },
);

Deno.test(
  "Room refuses empty and oversized messages without storing them",
  { permissions: "none" },
  () => {
    const room = new Room({ maxMessageBytes: 10 });
    room.join(1, "Cool", peer(1));
    const before = room.history.count();
    assert.equal(frameOf(room.chat(1, "   ")[0]).code, CODE.INVALID_TEXT);
    const [tooLong] = room.chat(1, "é".repeat(6));
    assert.equal(frameOf(tooLong).code, CODE.MESSAGE_TOO_LARGE);
    assert.match(payloadText(tooLong), /12 bytes, over the limit of 10 bytes/);
    assert.equal(room.history.count(), before);
  },
);

const SHA256 = new Uint8Array(32).fill(7);

/** Fire (connection 2) uploads a.txt into a room of Cool (1), Fire and, optionally, Fun (3). */
function fireUploads(fire: { echo?: boolean }, withFun = false) {
  const room = clockRoom();
  room.join(1, "Cool", peer(1));
  room.join(2, "Fire", peer(2), fire);
  if (withFun) room.join(3, "Fun", peer(3));
  const out = room.attachment(2, {
    filename: "a.txt",
    storedName: "a (2).txt",
    size: 5,
    sha256: SHA256,
  });
  return { room, out };
}

/** The attachment as every other member gets it. */
function assertFiresAttachment(out: Outgoing) {
  const frame = frameOf(out);
  assert.equal(frame.flags, FLAG.ATTACHMENT);
  assert.equal(frame.sender, "Fire");
  assert.equal(frame.filename, "a.txt");
  assert.equal(frame.payloadLength, 5);
  assert.deepEqual(frame.sha256, SHA256);
  return frame;
}

Deno.test("Room records attachments with their sender and sends them to everyone", {
  permissions: "none",
}, () => {
  // Fire did not ask for echoes (as clients before them): it gets its file back.
  const { out: [out, ...rest] } = fireUploads({});
  assert.equal(rest.length, 0);
  assert.deepEqual(out.to, [1, 2]);
  assertFiresAttachment(out);
});

Deno.test(
  "Room sends an attachment to the others and an ECHO header to a sender who asked for it",
  { permissions: "none" },
  () => {
    const { room, out: [out, echo, ...rest] } = fireUploads({ echo: true }, true);
    assert.equal(rest.length, 0);
    assert.deepEqual(out.to, [1, 3]);
    const frame = assertFiresAttachment(out);
    // The sender has the bytes: it gets the same header, flagged ECHO, with no payload.
    assert.deepEqual(echo.to, [2]);
    const echoed = frameOf(echo);
    assert.equal(echoed.flags, FLAG.ATTACHMENT | FLAG.ECHO);
    assert.equal(echoed.payloadLength, 0);
    assert.equal(echoed.timestamp, frame.timestamp);
    assert.deepEqual(
      { sender: echoed.sender, filename: echoed.filename, sha256: echoed.sha256 },
      { sender: "Fire", filename: "a.txt", sha256: SHA256 },
    );
    // Recorded once, as the attachment everyone else got.
    const [last] = room.history.list(1);
    assert.equal(last.kind, "attachment");
    assert.equal(last.attachment?.size, 5);
  },
);
