import assert from "node:assert/strict";
import {
  avatarFileName,
  avatarProblem,
  imageType,
  MAX_AVATAR_BYTES,
  MAX_AVATAR_NAME_CHARS,
} from "../../lib/shared/avatar.ts";
import { makePng } from "../support/png.ts";

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? Array.from(p, (c) => c.charCodeAt(0)) : p),
  );

Deno.test("imageType() recognises PNG, JPEG, GIF and WebP by their magic bytes", {
  permissions: "none",
}, async (t) => {
  await t.step("PNG", () => assert.equal(imageType(makePng(2, 2)), "png"));
  await t.step("JPEG", () => assert.equal(imageType(bytes([0xff, 0xd8, 0xff, 0xe0, 0])), "jpeg"));
  await t.step("GIF87a", () => assert.equal(imageType(bytes("GIF87a", [1, 0])), "gif"));
  await t.step("GIF89a", () => assert.equal(imageType(bytes("GIF89a", [1, 0])), "gif"));
  await t.step(
    "WebP",
    () => assert.equal(imageType(bytes("RIFF", [0, 0, 0, 0], "WEBPVP8 ")), "webp"),
  );
});

Deno.test(
  "imageType() refuses what is not one of the four formats",
  { permissions: "none" },
  async (t) => {
    await t.step("SVG, which can carry script", () => {
      assert.equal(
        imageType(bytes('<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>')),
        null,
      );
    });
    await t.step("HTML", () => assert.equal(imageType(bytes("<html><body>")), null));
    await t.step("a RIFF that is not WebP (WAV)", () => {
      assert.equal(imageType(bytes("RIFF", [0, 0, 0, 0], "WAVEfmt ")), null);
    });
    await t.step("a PNG signature cut short", () => {
      assert.equal(imageType(bytes([0x89, 0x50, 0x4e, 0x47])), null);
    });
    await t.step("nothing", () => assert.equal(imageType(new Uint8Array(0)), null));
  },
);

Deno.test("avatarProblem() accepts a small image", { permissions: "none" }, () => {
  assert.equal(avatarProblem(makePng(48, 48)), null);
});

Deno.test(
  "avatarProblem() accepts an image of exactly the size limit",
  { permissions: "none" },
  () => {
    const image = new Uint8Array(MAX_AVATAR_BYTES);
    image.set(makePng(1, 1));
    assert.equal(avatarProblem(image), null);
  },
);

Deno.test(
  "avatarProblem() names the size of an avatar over the limit",
  { permissions: "none" },
  () => {
    const image = new Uint8Array(MAX_AVATAR_BYTES + 1);
    image.set(makePng(1, 1));
    assert.equal(
      avatarProblem(image),
      `it is ${MAX_AVATAR_BYTES + 1} bytes, over the limit of ${MAX_AVATAR_BYTES} bytes`,
    );
  },
);

Deno.test("avatarProblem() names the first bytes of something that is not an image", {
  permissions: "none",
}, () => {
  assert.equal(
    avatarProblem(bytes("<svg>")),
    "it is not a PNG, JPEG, GIF or WebP image (it starts with bytes 3c 73 76 67)",
  );
});

Deno.test("avatarProblem() refuses an empty avatar", { permissions: "none" }, () => {
  assert.equal(avatarProblem(new Uint8Array(0)), "it is empty");
});

Deno.test("avatarFileName() keeps only a safe base name", { permissions: "none" }, async (t) => {
  await t.step(
    "folders are dropped",
    () => assert.equal(avatarFileName("../../me.png", "png"), "me.png"),
  );
  await t.step("Windows folders are dropped", () => {
    assert.equal(avatarFileName("C:\\Users\\me\\cool.gif", "gif"), "cool.gif");
  });
  await t.step("control characters become _", () => {
    assert.equal(avatarFileName("a\x1b[31m.png", "png"), "a_[31m.png");
  });
  await t.step(
    "leading dots go",
    () => assert.equal(avatarFileName("..hidden.png", "png"), "hidden.png"),
  );
  await t.step("an empty name becomes avatar.<type>", () => {
    assert.equal(avatarFileName("", "webp"), "avatar.webp");
    assert.equal(avatarFileName("dir/", "jpeg"), "avatar.jpeg");
  });
  await t.step("long names are cut", () => {
    assert.equal([...avatarFileName("é".repeat(200), "png")].length, MAX_AVATAR_NAME_CHARS);
  });
});
