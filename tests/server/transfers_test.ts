import assert from "node:assert/strict";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { CODE } from "../../lib/shared/wire/protocol_error.ts";
import { MAX_OPEN_TRANSFERS, Transfers } from "../../lib/server/room/transfers.ts";
import { Room } from "../../lib/server/room/room.ts";
import { sentFrames } from "../support/sent_frames.ts";

const info = {
  sender: "Fire",
  filename: "a.bin",
  sha256: new Uint8Array(32).fill(1),
  size: 1000,
  timestamp: 5,
};
const peer = (port: number) => ({ hostname: "127.0.0.1", port });

Deno.test("Transfers gives each transfer a new non-zero id and BEGIN the file's size as 8 bytes", {
  permissions: "none",
}, () => {
  const transfers = new Transfers();
  const a = transfers.open(info, [1]);
  const b = transfers.open(info, [1]);
  assert.notEqual(a.id, 0);
  assert.notEqual(a.id, b.id);
  const begin = a.beginFrame();
  assert.equal(begin.flags, FLAG.ATTACHMENT | FLAG.STREAM);
  assert.equal(begin.number, a.id);
  assert.deepEqual([...begin.payload as Uint8Array], [0, 0, 0, 0, 0, 0, 0x03, 0xe8]);
  const discard = a.discardFrame("why");
  assert.equal(discard.flags, FLAG.STREAM | FLAG.ERROR);
  assert.equal(discard.code, CODE.ATTACHMENT_DISCARDED);
});

Deno.test(
  "Transfers opens at most 8 at once to a receiver; the ninth leaves it out until one closes",
  {
    permissions: "none",
  },
  () => {
    const transfers = new Transfers();
    const open = Array.from({ length: MAX_OPEN_TRANSFERS }, () => transfers.open(info, [1, 2]));
    assert.equal(transfers.openOn(1), 8);
    const ninth = transfers.open(info, [1, 3]);
    assert.deepEqual(ninth.receivers, [3], "receiver 1 gets this one the classic way");
    transfers.close(open[0]);
    assert.equal(transfers.openOn(1), 7);
    assert.deepEqual(transfers.open(info, [1]).receivers, [1]);
    transfers.close(open[0]);
    assert.equal(transfers.openOn(1), 8, "closing twice frees one slot only");
  },
);

Deno.test("Transfer remembers the byte a receiver fell behind at; the others stay live", {
  permissions: "none",
}, () => {
  const transfer = new Transfers().open(info, [1, 2, 3]);
  transfer.advance(300);
  transfer.fallBehind(2);
  transfer.advance(300);
  transfer.fallBehind(2);
  assert.deepEqual(transfer.live, [1, 3]);
  assert.deepEqual(transfer.behind, [{ id: 2, at: 300 }]);
  assert.equal(transfer.forwarded, 600);
});

Deno.test("Transfers forgets a closed connection: it is no receiver and holds no slot", {
  permissions: "none",
}, () => {
  const transfers = new Transfers();
  const transfer = transfers.open(info, [1, 2]);
  transfers.forget(2);
  assert.deepEqual(transfer.receivers, [1]);
  assert.equal(transfers.openOn(2), 0);
  transfers.close(transfer);
  assert.equal(transfers.openOn(1), 0);
  assert.equal(transfers.get(transfer.id), undefined);
});

Deno.test("Room streams an upload to STREAM members, not to an uploader that asked for ECHO", {
  permissions: "none",
}, () => {
  const room = new Room();
  room.join(1, "Fire", peer(1), { echo: true, stream: true });
  room.join(2, "Fun", peer(2), { stream: true });
  room.join(3, "Cool", peer(3));
  assert.deepEqual(room.streamReceivers(1), [2]);
  assert.deepEqual(room.streamReceivers(2), [1, 2], "an uploader without ECHO gets its own");
});

Deno.test("Room sends END to a transfer's receivers and the classic frame to the other members", {
  permissions: "none",
}, () => {
  const room = new Room();
  room.join(1, "Fire", peer(1), { echo: true, stream: true });
  room.join(2, "Fun", peer(2), { stream: true });
  room.join(3, "Cool", peer(3));
  const stored = { filename: "a.bin", storedName: "a.bin", size: 3, sha256: info.sha256 };
  const out = sentFrames(room.attachment(1, stored, { id: 7, to: [2] }));
  const end = out.find((o) => o.kind === "end")!;
  assert.deepEqual(end.to, [2]);
  assert.equal(end.frame.flags, FLAG.STREAM);
  assert.equal(end.frame.number, 7);
  assert.equal(end.frame.sender, "Fire");
  const classic = out.find((o) => o.kind === "live")!;
  assert.deepEqual(classic.to, [3]);
  assert.equal(classic.frame.flags, FLAG.ATTACHMENT);
  const echo = out.find((o) => ((o.frame.flags ?? 0) & FLAG.ECHO) !== 0)!;
  assert.deepEqual(echo.to, [1]);
  assert.equal(room.history.count(), 4, "three joins and the attachment");
});
