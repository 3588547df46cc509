import assert from "node:assert/strict";
import fc from "fast-check";
import { splitMessage } from "../../lib/client/split_message.ts";
import { MAX_CHAT_BYTES } from "../../lib/shared/chat_limit.ts";

const bytes = (text: string) => new TextEncoder().encode(text).length;

Deno.test("splitMessage() keeps text under the limit as one part", () => {
  assert.deepEqual(splitMessage("hello"), ["hello"]);
  assert.deepEqual(splitMessage(""), [""]);
  const exact = "a".repeat(MAX_CHAT_BYTES);
  assert.deepEqual(splitMessage(exact), [exact]);
});

Deno.test("splitMessage() splits a 70,000-character paste into two parts, losing nothing", () => {
  const text = "y".repeat(70_000);
  const parts = splitMessage(text);
  assert.deepEqual(parts.map((p) => p.length), [65_536, 4_464]);
  assert.equal(parts.join(""), text);
});

Deno.test("splitMessage() cuts between graphemes, never inside one", async (t) => {
  await t.step("an emoji (a surrogate pair) across the limit goes to the next part", () => {
    const text = "a".repeat(9) + "😀" + "b";
    const parts = splitMessage(text, { maxBytes: 10 });
    assert.deepEqual(parts, ["a".repeat(9), "😀b"]);
  });
  await t.step("a family emoji (ZWJ sequence) stays whole", () => {
    const family = "👨‍👩‍👧";
    const text = "ab" + family + "cd";
    const parts = splitMessage(text, { maxBytes: bytes(family) + 1 });
    assert.ok(
      parts.includes(family) || parts.some((p) => p.includes(family)),
      JSON.stringify(parts),
    );
    assert.equal(parts.join(""), text);
  });
  await t.step("a letter with its combining accent stays whole", () => {
    const text = "aaae\u0301";
    assert.deepEqual(splitMessage(text, { maxBytes: 4 }), ["aaa", "e\u0301"]);
  });
  await t.step("a grapheme longer than a part is cut between code points", () => {
    const text = "e" + "\u0301".repeat(10);
    const parts = splitMessage(text, { maxBytes: 5 });
    assert.equal(parts.join(""), text);
    for (const part of parts) assert.ok(bytes(part) <= 5);
    for (const part of parts) assert.ok(!/[\ud800-\udbff]$/.test(part));
  });
});

Deno.test("splitMessage() prefers to cut after a space near the end of a part", () => {
  const text = "word ".repeat(30);
  const parts = splitMessage(text, { maxBytes: 48 });
  assert.equal(parts.join(""), text);
  for (const part of parts.slice(0, -1)) assert.ok(part.endsWith(" "), JSON.stringify(part));
});

Deno.test("splitMessage(): parts join back, each within the limit, cut only between graphemes", () => {
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  const graphemes = (s: string) => Array.from(segmenter.segment(s), (g) => g.segment);
  fc.assert(
    fc.property(
      fc.string({ unit: "grapheme", maxLength: 200 }),
      fc.integer({ min: 30, max: 200 }),
      (text, maxBytes) => {
        const parts = splitMessage(text, { maxBytes });
        assert.equal(parts.join(""), text);
        for (const part of parts) assert.ok(bytes(part) <= maxBytes);
        assert.deepEqual(parts.flatMap(graphemes), graphemes(text));
      },
    ),
  );
});
