import assert from "node:assert/strict";
import { InputClosed, LineConsole } from "../../lib/client/terminal/line_console.ts";

/** Input that the test feeds byte strings into, one read each. */
function feeder() {
  const queue: (string | null)[] = [];
  let wake: (() => void) | null = null;
  return {
    push(text: string | null) {
      queue.push(text);
      wake?.();
    },
    async read(p: Uint8Array): Promise<number | null> {
      while (queue.length === 0) await new Promise<void>((r) => wake = r);
      const next = queue.shift()!;
      if (next === null) return null;
      const bytes = new TextEncoder().encode(next);
      p.set(bytes);
      return bytes.length;
    },
  };
}

function setup(interactive: boolean, onInterrupt?: () => void) {
  const input = feeder();
  let out = "";
  const console = new LineConsole({ input, write: (t) => out += t, interactive, onInterrupt });
  return { input, console, output: () => out };
}

Deno.test("LineConsole redraws the half-typed line below a message that arrives", async () => {
  const { input, console, output } = setup(true);
  const line = console.readLine("");
  input.push("Hey Fi");
  await new Promise((r) => setTimeout(r, 0));
  while (!output().endsWith("Hey Fi")) await new Promise((r) => setTimeout(r, 1));
  console.print("[20:36:28] Cool: What's up Fire?");
  assert.ok(output().endsWith("\r\x1b[2K[20:36:28] Cool: What's up Fire?\nHey Fi"));
  input.push("re.\r");
  assert.equal(await line, "Hey Fire.");
  input.push(null);
});

Deno.test("LineConsole edits: backspace, Ctrl-U, escape sequences skipped", async () => {
  const { input, console } = setup(true);
  input.push("abc\x7f\x7fX\x1b[D\x1b[Cy\r");
  assert.equal(await console.readLine(""), "aXy");
  input.push("junk\x15ok\r");
  assert.equal(await console.readLine(""), "ok");
  input.push(null);
});

Deno.test("LineConsole calls onInterrupt on Ctrl-C and ends on Ctrl-D at an empty line", async () => {
  let interrupted = 0;
  const { input, console } = setup(true, () => interrupted++);
  input.push("\x03");
  input.push("\x04");
  await assert.rejects(console.readLine("Your choice: "), InputClosed);
  assert.equal(interrupted, 1);
});

Deno.test("LineConsole reads piped lines, strips \\r and echoes them after the prompt", async () => {
  const { input, console, output } = setup(false);
  input.push("2\r\nFi");
  input.push("re\r\n");
  assert.equal(await console.readLine("Your choice: "), "2");
  assert.equal(await console.readLine("Please enter a username: "), "Fire");
  assert.equal(output(), "Your choice: 2\nPlease enter a username: Fire\n");
  input.push("last line without newline");
  input.push(null);
  assert.equal(await console.readLine(""), "last line without newline");
  await assert.rejects(console.readLine(""), InputClosed);
});

Deno.test("LineConsole returns null when the wait is aborted, keeping later input", async () => {
  const { input, console } = setup(false);
  const stop = new AbortController();
  const pending = console.readLine("", stop.signal);
  stop.abort();
  assert.equal(await pending, null);
  input.push("kept\n");
  assert.equal(await console.readLine(""), "kept");
  input.push(null);
});
