import assert from "node:assert/strict";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { type Outgoing } from "../../lib/server/room/outgoing.ts";
import { Room } from "../../lib/server/room/room.ts";

const peer = { hostname: "127.0.0.1", port: 50000 };

function joinResult(out: Outgoing[]): { flags: number; code: number } {
  const first = out[0];
  assert.ok("frame" in first);
  return { flags: first.frame.flags ?? 0, code: first.frame.code ?? 0 };
}

Deno.test("Room.join() frees a username when its user quits or disconnects", {
  permissions: "none",
}, async (t) => {
  await t.step("taken while active, whatever the case or width", () => {
    const room = new Room({ maxUsers: 10 });
    assert.equal(joinResult(room.join(1, "Fun", peer).out).flags, FLAG.JOIN_ACCEPT);
    for (const [id, name] of [[2, "fun"], [3, "FUN"], [4, "ＦＵＮ"]] as const) {
      assert.deepEqual(joinResult(room.join(id, name, peer).out), {
        flags: FLAG.JOIN_REJECT,
        code: CODE.USERNAME_TAKEN,
      });
    }
  });
  await t.step("free after a quit", () => {
    const room = new Room({ maxUsers: 10 });
    room.join(1, "Fire", peer);
    room.quit(1);
    assert.equal(joinResult(room.join(2, "fire", peer).out).flags, FLAG.JOIN_ACCEPT);
  });
  await t.step("free after a disconnect, and only that name", () => {
    const room = new Room({ maxUsers: 10 });
    room.join(1, "Cool", peer);
    room.join(2, "Fun", peer);
    room.disconnect(1);
    assert.equal(joinResult(room.join(3, "Cool", peer).out).flags, FLAG.JOIN_ACCEPT);
    assert.equal(joinResult(room.join(4, "Fun", peer).out).code, CODE.USERNAME_TAKEN);
  });
  await t.step("a rejected join reserves nothing", () => {
    const room = new Room({ maxUsers: 1 });
    room.join(1, "Cool", peer);
    assert.equal(joinResult(room.join(2, "Sad", peer).out).code, CODE.ROOM_FULL);
    room.quit(1);
    assert.equal(joinResult(room.join(2, "Sad", peer).out).flags, FLAG.JOIN_ACCEPT);
  });
});
