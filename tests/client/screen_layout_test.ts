import assert from "node:assert/strict";
import {
  advance,
  clipToWidth,
  graphemeWidth,
  wrapRows,
} from "../../lib/client/terminal/screen_layout.ts";

Deno.test("advance() wraps as a terminal does", async (t) => {
  await t.step("ASCII: a full row puts the cursor at the start of the next", () => {
    assert.deepEqual(advance("x".repeat(79), 80), { row: 0, col: 79 });
    assert.deepEqual(advance("x".repeat(80), 80), { row: 1, col: 0 });
    assert.deepEqual(advance("x".repeat(100), 80), { row: 1, col: 20 });
  });
  await t.step("a wide character with one column left wraps early", () => {
    assert.deepEqual(advance("x".repeat(79) + "漢", 80), { row: 1, col: 2 });
    assert.deepEqual(advance("漢".repeat(40), 80), { row: 1, col: 0 });
  });
  await t.step("emoji sequences and accents take the columns of one grapheme", () => {
    assert.equal(graphemeWidth("👨‍👩‍👧"), 2);
    assert.equal(graphemeWidth("👍🏽"), 2);
    assert.equal(graphemeWidth("e\u0301"), 1);
    assert.deepEqual(advance("👍🏽e\u0301", 80), { row: 0, col: 3 });
  });
  await t.step("from a start position, as text appended to a line", () => {
    assert.deepEqual(advance("abc", 80, { row: 2, col: 78 }), { row: 3, col: 1 });
  });
  await t.step("a tab is four spaces, each wrapping on its own", () => {
    assert.deepEqual(advance("x".repeat(78) + "\t", 80), { row: 1, col: 2 });
  });
});

Deno.test("clipToWidth() cuts to a number of columns without splitting a grapheme", () => {
  assert.equal(clipToWidth("abc漢字", 4), "abc");
  assert.equal(clipToWidth("abc漢字", 5), "abc漢");
  assert.equal(clipToWidth("short", 80), "short");
  // An emoji with a skin tone is four columns on terminals that draw its parts apart.
  assert.equal(clipToWidth("a👍🏽👍🏽", 8), "a👍🏽");
  assert.equal(clipToWidth("a👍🏽👍🏽", 9), "a👍🏽👍🏽");
  assert.equal(
    clipToWidth("é漢", 3),
    "é漢",
    "one code point, or a letter and its accent: as wide as it is",
  );
});

Deno.test("wrapRows() breaks at the width, indents the rows after, keeps a line's own breaks", () => {
  assert.equal(wrapRows("abcdef", 4), "abcd\n  ef");
  assert.equal(wrapRows("abcdefghij", 4), "abcd\n  ef\n  gh\n  ij");
  assert.equal(wrapRows("ab\ncdefg", 4), "ab\ncdef\n  g");
  assert.equal(wrapRows("abcd", 4), "abcd", "a row filled to the edge is one row");
  // Wide characters move to the next row whole.
  assert.equal(wrapRows("abc漢字", 4), "abc\n  漢\n  字");
  assert.equal(wrapRows("a\tb", 4), "a  \n   b", "a tab as four spaces");
  // At spaces where it can, dropping the space; inside a word too long for a row.
  assert.equal(wrapRows("one two three", 9), "one two\n  three");
  assert.equal(wrapRows("a verylongword", 8), "a verylo\n  ngword");
  assert.equal(wrapRows("👍🏽👍🏽", 6), "👍🏽\n  👍🏽", "at the widest a terminal may draw it");
  // Padding cannot put text at the left edge.
  const rows = wrapRows(`ok${" ".repeat(58)}[00:52:17] Server: Cool left.`, 60).split("\n");
  assert.ok(rows.slice(1).every((row) => row.startsWith("  ")), rows.join("|"));
});
