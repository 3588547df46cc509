import assert from "node:assert/strict";
import { InputClosed } from "../../lib/client/terminal/line_console.ts";
import { TtyConsole } from "../../lib/client/terminal/tty_console.ts";
import { feeder } from "../support/feeder.ts";

function setup(onInterrupt?: () => void) {
  const input = feeder();
  let out = "";
  const console = new TtyConsole({ input, write: (t) => out += t, columns: () => 80, onInterrupt });
  return { input, console, output: () => out };
}

Deno.test("TtyConsole edits with cursor keys before the line is sent", async () => {
  const { input, console } = setup();
  input.push("helo\x1b[Dl\r");
  assert.equal(await console.readLine(""), "hello");
  input.push("ello\x1b[Hh\x1b[F!\x7f\x7fo\r");
  assert.equal(await console.readLine(""), "hello");
  input.push(null);
});

Deno.test("TtyConsole recalls sent lines with Up, for prompts that keep history", async () => {
  const { input, console } = setup();
  input.push("first\r");
  assert.equal(await console.readLine("", { history: true }), "first");
  input.push("\x1b[A!\r");
  assert.equal(await console.readLine("", { history: true }), "first!");
  input.push(null);
});

Deno.test("TtyConsole takes a pasted block of lines as lines, none lost, tabs kept", async () => {
  const { input, console } = setup();
  input.push("one\r\ntwo\tcols\rthree\r");
  assert.equal(await console.readLine(""), "one");
  assert.equal(await console.readLine(""), "two\tcols");
  assert.equal(await console.readLine(""), "three");
  input.push(null);
});

Deno.test("TtyConsole redraws the half-typed line under a line printed meanwhile", async () => {
  const { input, console, output } = setup();
  const line = console.readLine("");
  input.push("Hey Fi");
  while (!output().endsWith("Hey Fi")) await new Promise((r) => setTimeout(r, 1));
  console.print("[20:36:28] Cool: What's up Fire?");
  assert.ok(
    output().endsWith("\r\x1b[J[20:36:28] Cool: What's up Fire?\r\nHey Fi"),
    JSON.stringify(output()),
  );
  input.push("re.\r");
  assert.equal(await line, "Hey Fire.");
  input.push(null);
});

Deno.test("TtyConsole keeps a status line above the prompt, and removes it", async () => {
  const { input, console, output } = setup();
  const line = console.readLine("> ");
  console.status("Uploading big.bin: 1.0 MiB of 8.0 MiB (12%)");
  assert.ok(output().endsWith("Uploading big.bin: 1.0 MiB of 8.0 MiB (12%)\r\n> "));
  console.status(null);
  assert.ok(output().endsWith("\x1b[1A\r\x1b[J> "), JSON.stringify(output()));
  input.push("x\r");
  assert.equal(await line, "x");
  input.push(null);
});

Deno.test("TtyConsole calls onInterrupt on Ctrl-C and ends on Ctrl-D at an empty line", async () => {
  let interrupted = 0;
  const { input, console } = setup(() => interrupted++);
  input.push("\x03");
  input.push("\x04");
  await assert.rejects(console.readLine("Your choice: "), InputClosed);
  assert.equal(interrupted, 1);
});

Deno.test("TtyConsole returns null when the wait is aborted, keeping what was typed", async () => {
  const { input, console, output } = setup();
  const stop = new AbortController();
  const pending = console.readLine("", { signal: stop.signal });
  input.push("half");
  while (!output().endsWith("half")) await new Promise((r) => setTimeout(r, 1));
  stop.abort();
  assert.equal(await pending, null);
  input.push(" done\r");
  assert.equal(await console.readLine(""), "half done");
  input.push(null);
});

Deno.test("TtyConsole completes with Tab from the prompt's completer", async () => {
  const { input, console, output } = setup();
  const complete = (before: string) =>
    Promise.resolve({ from: before.lastIndexOf("/") + 1, candidates: ["coolfile1.txt"] });
  const line = console.readLine("Path: ", { complete });
  input.push("attachments/co");
  while (!output().endsWith("/co")) await new Promise((r) => setTimeout(r, 1));
  input.push("\t");
  while (!output().endsWith("coolfile1.txt")) await new Promise((r) => setTimeout(r, 1));
  input.push("\r");
  assert.equal(await line, "attachments/coolfile1.txt");
  input.push(null);
});
