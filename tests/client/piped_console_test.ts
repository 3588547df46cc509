import assert from "node:assert/strict";
import { InputClosed, MAX_LINE_CHARS } from "../../lib/client/terminal/line_console.ts";
import { PipedConsole } from "../../lib/client/terminal/piped_console.ts";
import { feeder } from "../support/feeder.ts";

function setup() {
  const input = feeder();
  let out = "";
  const console = new PipedConsole({ input, write: (t) => out += t });
  return { input, console, output: () => out };
}

Deno.test("PipedConsole reads piped lines, strips \\r and echoes them after the prompt", async () => {
  const { input, console, output } = setup();
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

Deno.test("PipedConsole returns null when the wait is aborted, keeping later input", async () => {
  const { input, console } = setup();
  const stop = new AbortController();
  const pending = console.readLine("", { signal: stop.signal });
  stop.abort();
  assert.equal(await pending, null);
  input.push("kept\n");
  assert.equal(await console.readLine(""), "kept");
  input.push(null);
});

Deno.test("PipedConsole keeps a 70,000-character line whole", async () => {
  const { input, console } = setup();
  const long = "é".repeat(70_000);
  for (let at = 0; at < long.length; at += 4096) input.push(long.slice(at, at + 4096));
  input.push("\nnext\n");
  assert.equal(await console.readLine(""), long);
  assert.equal(await console.readLine(""), "next");
  input.push(null);
});

Deno.test("PipedConsole refuses a line over MAX_LINE_CHARS whole, with a notice, and reads on", async () => {
  const { input, console, output } = setup();
  for (let at = 0; at < MAX_LINE_CHARS; at += 65_536) input.push("x".repeat(65_536));
  input.push("yz\nafter\n");
  assert.equal(await console.readLine(""), "after");
  assert.match(
    output(),
    new RegExp(
      `^That line is ${
        MAX_LINE_CHARS + 2
      } characters long, over the limit of ${MAX_LINE_CHARS}; it was not sent\\.\\n`,
    ),
  );
  input.push(null);
});

Deno.test("PipedConsole shows no status line", async () => {
  const { input, console, output } = setup();
  console.status("Uploading big.bin: 1.0 MiB of 8.0 MiB (12%)");
  console.status(null);
  assert.equal(output(), "");
  input.push(null);
  await assert.rejects(console.readLine(""), InputClosed);
});
