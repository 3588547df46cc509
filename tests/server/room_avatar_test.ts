import assert from "node:assert/strict";
import { type SentFrame, sentFrames } from "../support/sent_frames.ts";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { type FrameInit } from "../../lib/shared/wire/frame.ts";
import { DEPARTED_AVATARS } from "../../lib/server/room/departed_avatars.ts";
import { entryFrame } from "../../lib/server/room/entry_frame.ts";
import { type Outgoing } from "../../lib/server/room/outgoing.ts";
import { Room } from "../../lib/server/room/room.ts";
import { TEXT } from "../../lib/server/room/room_text.ts";
import { MAX_AVATAR_BYTES } from "../../lib/shared/avatar.ts";
import { makePng } from "../support/png.ts";

const peer = (port: number) => ({ hostname: "127.0.0.1", port });
const png = (rgb: [number, number, number]) => makePng(8, 8, { rgb });
const COOL = png([200, 40, 40]);
const FUN = png([40, 200, 40]);

function clockRoom(maxUsers = 3) {
  let t = 1_000;
  return new Room({ maxUsers, now: () => t += 1000 });
}

/** `out` with each replay and stream of frames as one item per frame, in order. */
function flat(out: Outgoing[] | SentFrame[]): SentFrame[] {
  return out.flatMap((o) => "kind" in o && !("frame" in o) ? sentFrames([o]) : [o as SentFrame]);
}

function frameOf(out: Outgoing | SentFrame): FrameInit {
  if ("frame" in out) return out.frame;
  if (out.kind === "live") return entryFrame(out.entry, false);
  throw new Error("Several frames: flatten them first");
}

function payloadText(out: Outgoing | SentFrame): string {
  const p = frameOf(out).payload;
  return typeof p === "string" ? p : new TextDecoder().decode(p);
}

/** The outgoing items as `to:FLAGS:username` strings, for order checks. */
function shape(out: Outgoing[] | SentFrame[]): string[] {
  const names = Object.entries(FLAG);
  return flat(out).map((o) => {
    const f = frameOf(o);
    const flags = names.filter(([, bit]) => ((f.flags ?? 0) & bit) !== 0).map(([n]) => n);
    return `${o.to.join(",")}:${flags.join("|") || "CHAT"}:${f.username ?? ""}`;
  });
}

Deno.test("Room sends a joining user's avatar to the others before the NEW_USER announcement", {
  permissions: "none",
}, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1));
  const out = sentFrames(
    room.join(2, "Fun", peer(2), { avatar: { filename: "fun.png", bytes: FUN } }).out,
    room.history,
  );
  const avatar = flat(out).find((o) => o.to.join() === "1" && frameOf(o).flags === FLAG.AVATAR)!;
  assert.equal(frameOf(avatar).username, "Fun");
  assert.equal(frameOf(avatar).filename, "fun.png");
  assert.deepEqual(frameOf(avatar).payload, FUN);
  assert.ok(out.indexOf(avatar) < out.length - 1, "the avatar comes before the announcement");
  assert.equal(frameOf(out.at(-1)!).flags, FLAG.NEW_USER);
});

Deno.test("Room sends a joining user every active avatar, its own included, before the history", {
  permissions: "none",
}, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1), { avatar: { filename: "cool.png", bytes: COOL } });
  room.join(2, "Plain", peer(2));
  room.chat(1, "Hi");
  const out = sentFrames(
    room.join(3, "Fun", peer(3), { avatar: { filename: "fun.png", bytes: FUN } }).out,
    room.history,
  );
  assert.deepEqual(shape(out), [
    "3:JOIN_ACCEPT:Fun",
    "3:AVATAR:Cool",
    "3:AVATAR:Fun",
    "3:NEW_USER|HISTORY:Cool",
    "3:NEW_USER|HISTORY:Plain",
    "3:HISTORY:",
    "1,2:AVATAR:Fun",
    "1,2,3:NEW_USER:Fun",
  ]);
  assert.equal(frameOf(out[0]).number, 3, "NUMBER counts the history frames, not the avatars");
});

Deno.test("Room sends no AVATAR frame for users without an avatar", { permissions: "none" }, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1));
  const out = sentFrames(room.join(2, "Fun", peer(2)).out, room.history);
  assert.equal(flat(out).filter((o) => frameOf(o).flags === FLAG.AVATAR).length, 0);
});

Deno.test("Room sends a joiner the avatars of users who left, for their lines in the history", {
  permissions: "none",
}, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1), { avatar: { filename: "cool.png", bytes: COOL } });
  room.chat(1, "Hi");
  room.quit(1);
  room.join(2, "Plain", peer(2));
  room.disconnect(2); // no avatar: nothing to keep
  const out = sentFrames(
    room.join(3, "Fun", peer(3), { avatar: { filename: "fun.png", bytes: FUN } }).out,
    room.history,
  );
  assert.deepEqual(shape(out).slice(0, 4), [
    "3:JOIN_ACCEPT:Fun",
    "3:AVATAR:Fun",
    "3:AVATAR:Cool",
    "3:NEW_USER|HISTORY:Cool",
  ]);
  const cool = flat(out).find((o) =>
    frameOf(o).flags === FLAG.AVATAR && frameOf(o).username === "Cool"
  );
  assert.deepEqual(frameOf(cool!).payload, COOL);
  assert.equal(frameOf(cool!).filename, "cool.png");
});

Deno.test("Room sends no departed user's avatar whose lines are not in the history sent", {
  permissions: "none",
}, () => {
  const room = new Room({ historyLimit: 2 });
  room.join(1, "Cool", peer(1), { avatar: { filename: "cool.png", bytes: COOL } });
  room.quit(1);
  room.join(2, "Plain", peer(2));
  room.chat(2, "one");
  room.chat(2, "two");
  const out = sentFrames(room.join(3, "Fun", peer(3)).out, room.history);
  assert.equal(flat(out).filter((o) => frameOf(o).flags === FLAG.AVATAR).length, 0);
});

Deno.test("Room forgets a departed user's avatar once someone joins under that name", {
  permissions: "none",
}, () => {
  const room = clockRoom();
  room.join(1, "Cool", peer(1), { avatar: { filename: "cool.png", bytes: COOL } });
  room.quit(1);
  room.join(2, "COOL", peer(2)); // the name again (any case), with no avatar this time
  room.quit(2);
  const out = sentFrames(room.join(3, "Fun", peer(3)).out, room.history);
  assert.equal(flat(out).filter((o) => frameOf(o).flags === FLAG.AVATAR).length, 0);
});

/** `count` users join with `avatar` and leave, one after another; then whose avatars Fun is sent. */
function avatarsAfterLeavers(count: number, avatar: Uint8Array) {
  const room = new Room({ maxUsers: 1 });
  const names = Array.from({ length: count }, (_, i) => `user${i}`);
  for (const [i, name] of names.entries()) {
    room.join(i, name, peer(i), { avatar: { filename: "a.png", bytes: avatar } });
    room.quit(i);
  }
  const out = flat(sentFrames(room.join(99, "Fun", peer(99)).out, room.history));
  const sent = out.filter((o) => frameOf(o).flags === FLAG.AVATAR).map((o) => frameOf(o).username);
  return { names, sent };
}

Deno.test("Room keeps the avatars of the last DEPARTED_AVATARS.count users who left", {
  permissions: "none",
}, () => {
  const { names, sent } = avatarsAfterLeavers(DEPARTED_AVATARS.count + 1, COOL);
  assert.deepEqual(sent, names.slice(1), "the one who left first is forgotten");
});

Deno.test("Room keeps at most DEPARTED_AVATARS.bytes of departed users' avatars", {
  permissions: "none",
}, () => {
  const big = new Uint8Array(MAX_AVATAR_BYTES);
  big.set(COOL.subarray(0, 8)); // the PNG signature: all the server checks besides the size
  const { names, sent } = avatarsAfterLeavers(12, big);
  const fit = Math.floor(DEPARTED_AVATARS.bytes / MAX_AVATAR_BYTES);
  assert.deepEqual(sent, names.slice(names.length - fit), "the most recent leavers that fit");
});

Deno.test(
  "Room rejects an avatar that is not an image and says why",
  { permissions: "none" },
  () => {
    const room = clockRoom();
    const bytes = new TextEncoder().encode("<svg onload=alert(1)>");
    const out = sentFrames(
      room.join(1, "Cool", peer(1), { avatar: { filename: "x.svg", bytes } }).out,
      room.history,
    );
    assert.equal(out.length, 1);
    assert.equal(frameOf(out[0]).flags, FLAG.JOIN_REJECT);
    assert.equal(frameOf(out[0]).code, CODE.INVALID_AVATAR);
    assert.equal(
      payloadText(out[0]),
      TEXT.invalidAvatar(
        "it is not a PNG, JPEG, GIF or WebP image (it starts with bytes 3c 73 76 67)",
      ),
    );
    assert.equal(room.members.length, 0);
  },
);

Deno.test("Room rejects an avatar over 256 KiB, naming its size", { permissions: "none" }, () => {
  const room = clockRoom();
  const bytes = new Uint8Array(MAX_AVATAR_BYTES + 1);
  bytes.set(COOL);
  const [reject] = sentFrames(
    room.join(1, "Cool", peer(1), { avatar: { filename: "big.png", bytes } }).out,
    room.history,
  );
  assert.equal(frameOf(reject).code, CODE.INVALID_AVATAR);
  assert.equal(
    payloadText(reject),
    "The server rejects the join request. The avatar is not accepted: it is 262145 bytes, over the limit of 262144 bytes.",
  );
});

Deno.test(
  "Room keeps the assignment's texts when a join with an avatar is refused for capacity or name",
  { permissions: "none" },
  async (t) => {
    const avatar = { filename: "bad.txt", bytes: new TextEncoder().encode("not an image") };
    await t.step("capacity is checked before the avatar", () => {
      const room = clockRoom(1);
      room.join(1, "Cool", peer(1));
      const [reject] = sentFrames(room.join(2, "Fun", peer(2), { avatar }).out, room.history);
      assert.equal(frameOf(reject).code, CODE.ROOM_FULL);
      assert.equal(payloadText(reject), TEXT.roomFull);
    });
    await t.step("the username is checked before the avatar", () => {
      const room = clockRoom();
      room.join(1, "Cool", peer(1));
      const [reject] = sentFrames(room.join(2, "cool", peer(2), { avatar }).out, room.history);
      assert.equal(frameOf(reject).code, CODE.USERNAME_TAKEN);
      assert.equal(payloadText(reject), TEXT.usernameTaken);
    });
  },
);

Deno.test("Room reduces an avatar's file name to a safe base name", { permissions: "none" }, () => {
  const room = clockRoom();
  const out = sentFrames(
    room.join(1, "Cool", peer(1), {
      avatar: { filename: "../../etc/\x1b[2Jcool.png", bytes: COOL },
    }).out,
    room.history,
  );
  assert.equal(frameOf(flat(out)[1]).flags, FLAG.AVATAR);
  assert.equal(frameOf(flat(out)[1]).filename, "_[2Jcool.png");
});
