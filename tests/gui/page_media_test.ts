import assert from "node:assert/strict";
import { decodeAvatar, describeAttachment, type ServedFile } from "../../lib/gui/page_media.ts";
import type { RoomEvent } from "../../lib/client/session.ts";
import { makePng } from "../support/png.ts";

type AttachmentEvent = Extract<RoomEvent, { type: "attachment" }>;

function received(name: string, bytes: Uint8Array, keep = 65536): AttachmentEvent {
  return {
    type: "attachment",
    timestamp: 1,
    sender: "Cool",
    filename: name,
    size: bytes.length,
    history: false,
    file: {
      path: `downloads/${name}`,
      name,
      size: bytes.length,
      sha256: new Uint8Array(32),
      head: bytes.slice(0, keep),
    },
  };
}

function describe(event: AttachmentEvent) {
  const served: ServedFile[] = [];
  const file = describeAttachment(event, (f) => (served.push(f), `/file/${served.length}`));
  return { file, served };
}

Deno.test("describeAttachment() shows images inline, judged by their bytes", () => {
  const { file, served } = describe(received("photo.txt", makePng(4, 4)));
  assert.equal(file.show, "image");
  assert.equal(file.url, "/file/1");
  assert.equal(served[0].mime, "image/png");
});

Deno.test("describeAttachment() shows small UTF-8 files as their text, an SVG too (never rendered)", () => {
  const svg = describe(received("x.svg", new TextEncoder().encode("<svg onload=alert(1)>")));
  assert.equal(svg.file.show, "text");
  assert.equal(svg.served[0].mime, null);
  const { file, served } = describe(
    received("a.txt", new TextEncoder().encode("I am on a light diet")),
  );
  assert.equal(file.show, "text");
  assert.equal(file.text, "I am on a light diet");
  assert.equal(served[0].mime, null, "served as a download, never as HTML");
});

Deno.test("describeAttachment() offers anything else as a download", async (t) => {
  await t.step("a text file too big to show whole", () => {
    const text = new TextEncoder().encode("x".repeat(100));
    assert.equal(describe(received("big.txt", text, 10)).file.show, "download");
  });
  await t.step("binary bytes", () => {
    assert.equal(describe(received("x.bin", new Uint8Array([0, 1, 2]))).file.show, "download");
  });
  await t.step("a file that could not be saved", () => {
    const event: AttachmentEvent = {
      ...received("x.bin", new Uint8Array(1)),
      file: { error: "disk full" },
    };
    const { file, served } = describe(event);
    assert.deepEqual(file, { name: "x.bin", size: 1, show: "download", error: "disk full" });
    assert.equal(served.length, 0);
  });
});

Deno.test("decodeAvatar() accepts a base64 image and names a bad one", () => {
  const png = makePng(3, 3);
  const data = btoa(String.fromCharCode(...png));
  assert.deepEqual(decodeAvatar({ name: "me.png", data }), { filename: "me.png", bytes: png });
  assert.throws(
    () => decodeAvatar({ name: "me.png", data: "***" }),
    /^Error: The avatar me\.png could not be read: its data is not base64/,
  );
  assert.throws(
    () => decodeAvatar({ name: "e.png", data: "" }),
    /The avatar e\.png is not accepted: it is empty\./,
  );
});
