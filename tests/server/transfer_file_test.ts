import assert from "node:assert/strict";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { decodeHeader } from "../../lib/shared/wire/decode_frame.ts";
import { Logger } from "../../lib/shared/log.ts";
import { Transfers } from "../../lib/server/room/transfers.ts";
import { fileDataFrames, GrowingFile } from "../../lib/server/transfer_file.ts";

const info = (size: number) => ({
  sender: "Fire",
  filename: "a.bin",
  sha256: new Uint8Array(32),
  size,
  timestamp: 1,
});

/** The frames' headers (flags, length) and the DATA bytes joined, from the stream's pieces. */
function parse(pieces: Uint8Array[]) {
  const frames: { flags: number; length: number }[] = [];
  const data: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const { header } = decodeHeader(pieces[i])!;
    frames.push({ flags: header.flags, length: header.payloadLength });
    if (header.flags === FLAG.STREAM && header.payloadLength > 0) data.push(...pieces[++i]);
  }
  return { frames, data };
}

Deno.test("a receiver behind is served the upload's file as it grows, from its byte on, then END once recorded", async () => {
  const dir = await Deno.makeTempDir();
  const temp = `${dir}/.incoming.part`;
  const transfer = new Transfers().open(info(6), [1]);
  const growing = new GrowingFile();
  await Deno.writeFile(temp, new Uint8Array([1, 2, 3]));
  growing.grew(temp, 3);
  const pieces: Uint8Array[] = [];
  const stream = fileDataFrames({
    file: growing,
    from: 1,
    transfer,
    hold: () => {},
    onFrame: () => {},
    onUnreadable: () => assert.fail("the file is there"),
    logger: new Logger(() => {}),
  });
  const reading = (async () => {
    for await (const piece of stream) pieces.push(piece.slice());
  })();
  // Bytes 1–2 are there; the rest arrives, then the file is renamed and recorded.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await Deno.writeFile(temp, new Uint8Array([4, 5, 6]), { append: true });
  growing.grew(temp, 6);
  await Deno.rename(temp, `${dir}/a.bin`);
  growing.stored(`${dir}/a.bin`, { flags: FLAG.STREAM, number: transfer.id });
  await reading;
  const { frames, data } = parse(pieces);
  assert.deepEqual(data, [2, 3, 4, 5, 6]);
  assert.deepEqual(frames.at(-1), { flags: FLAG.STREAM, length: 0 }, "END last");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a receiver behind gets nothing more once the upload failed (the DISCARD comes after)", async () => {
  const dir = await Deno.makeTempDir();
  const temp = `${dir}/.incoming.part`;
  const transfer = new Transfers().open(info(10), [1]);
  const growing = new GrowingFile();
  await Deno.writeFile(temp, new Uint8Array([1, 2]));
  growing.grew(temp, 2);
  const pieces: Uint8Array[] = [];
  const reading = (async () => {
    for await (
      const piece of fileDataFrames({
        file: growing,
        from: 0,
        transfer,
        hold: () => {},
        onFrame: () => {},
        onUnreadable: () => assert.fail("a failed upload is not unreadable"),
        logger: new Logger(() => {}),
      })
    ) pieces.push(piece.slice());
  })();
  await new Promise((resolve) => setTimeout(resolve, 0));
  await Deno.remove(temp);
  growing.failed();
  await reading;
  const { frames, data } = parse(pieces);
  assert.ok(data.length <= 2);
  assert.ok(frames.every((f) => f.flags === FLAG.STREAM && f.length > 0), "no END, no DISCARD");
  await Deno.remove(dir, { recursive: true });
});
