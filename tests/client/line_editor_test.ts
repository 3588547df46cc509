import assert from "node:assert/strict";
import { LineEditor } from "../../lib/client/terminal/line_editor.ts";

function typed(
  ...steps: (string | { name: string; ctrl?: boolean; meta?: boolean })[]
): LineEditor {
  const editor = new LineEditor();
  for (const step of steps) {
    if (typeof step === "string") editor.insert(step);
    else editor.key(step);
  }
  return editor;
}

Deno.test("LineEditor: Left then a letter inserts it there (helo, Left, l is hello)", () => {
  assert.equal(typed("helo", { name: "left" }, "l").text, "hello");
});

Deno.test("LineEditor moves with Home, End, Ctrl-A, Ctrl-E and by word", () => {
  assert.equal(typed("ello", { name: "home" }, "h", { name: "end" }, "!").text, "hello!");
  assert.equal(
    typed("ello", { name: "a", ctrl: true }, "h", { name: "e", ctrl: true }, "!").text,
    "hello!",
  );
  assert.equal(typed("one three", { name: "b", meta: true }, "two ").text, "one two three");
  assert.equal(typed("one three", { name: "left", ctrl: true }, "two ").text, "one two three");
});

Deno.test("LineEditor kills with Ctrl-U, Ctrl-K and Ctrl-W, and Ctrl-Y yanks", () => {
  assert.equal(typed("junk", { name: "u", ctrl: true }, "ok").text, "ok");
  assert.equal(typed("one two three", { name: "w", ctrl: true }).text, "one two ");
  assert.equal(typed("one two ", { name: "w", ctrl: true }).text, "one ");
  assert.equal(
    typed("keep cut", { name: "b", meta: true }, { name: "k", ctrl: true }).text,
    "keep ",
  );
  assert.equal(
    typed("word", { name: "w", ctrl: true }, "new ", { name: "y", ctrl: true }).text,
    "new word",
  );
});

Deno.test("LineEditor deletes whole graphemes: an emoji sequence, a letter with its accent", () => {
  assert.equal(typed("a👨‍👩‍👧", { name: "backspace" }).text, "a");
  assert.equal(typed("ae\u0301", { name: "backspace" }).text, "a");
  assert.equal(typed("a😀b", { name: "left" }, { name: "left" }, { name: "delete" }).text, "ab");
});

Deno.test("LineEditor browses history with Up and Down, keeping the draft", () => {
  const editor = new LineEditor();
  for (const line of ["first", "second"]) {
    editor.insert(line);
    editor.remember(editor.take());
  }
  editor.insert("draft");
  editor.key({ name: "up" });
  assert.equal(editor.text, "second");
  editor.key({ name: "up" });
  assert.equal(editor.text, "first");
  assert.equal(editor.key({ name: "up" }), "ignored");
  editor.key({ name: "down" });
  editor.key({ name: "down" });
  assert.equal(editor.text, "draft");
});

Deno.test("LineEditor reports Enter, Ctrl-C, Ctrl-D on an empty line and Tab", () => {
  const editor = new LineEditor();
  assert.equal(editor.key({ name: "d", ctrl: true }), "end-of-input");
  editor.insert("x");
  assert.equal(
    editor.key({ name: "d", ctrl: true }),
    "ignored",
    "Ctrl-D at the end of a line deletes nothing",
  );
  assert.equal(editor.key({ name: "return" }), "submit");
  assert.equal(editor.key({ name: "c", ctrl: true }), "interrupt");
  assert.equal(editor.key({ name: "tab" }), "complete");
});

Deno.test("LineEditor drops control characters and stops at its maximum length on a grapheme boundary", () => {
  assert.equal(typed("a\x1b[2Jb\x07c\td").text, "a[2Jbc\td");
  const editor = new LineEditor({ maxLength: 5 });
  editor.insert("abcd😀");
  assert.equal(editor.text, "abcd");
  assert.equal(editor.dropped, 2);
});
