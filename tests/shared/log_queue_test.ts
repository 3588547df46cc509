import assert from "node:assert/strict";
import { type AsyncWriter, LogQueue } from "../../lib/shared/log_queue.ts";

/** A writer whose writes wait until `open()` is called; what it wrote, as text. */
function gatedWriter(): { writer: AsyncWriter; written: string[]; open: () => void } {
  const written: string[] = [];
  let open = () => {};
  const gate = new Promise<void>((r) => open = r);
  const writer = {
    async write(p: Uint8Array) {
      await gate;
      written.push(new TextDecoder().decode(p));
      return p.length;
    },
  };
  return { writer, written, open: () => open() };
}

Deno.test({
  name: "LogQueue never waits for its writer: past its size it drops lines, then says how many",
  permissions: "none",
  fn: async () => {
    const { writer, written, open } = gatedWriter();
    const queue = new LogQueue(writer, { maxBytes: 100, now: () => 0 });
    for (let i = 0; i < 20; i++) queue.sink(`line ${i}`); // 7 or 8 bytes each: 13 fit in 100
    assert.equal(queue.dropped, 7);
    open();
    await queue.flush();
    queue.sink("after");
    await queue.flush();
    const text = written.join("");
    assert.ok(text.startsWith("line 0\nline 1\n"));
    assert.ok(text.includes("line 12\n") && !text.includes("line 13\n"));
    assert.ok(text.endsWith("[00:00:00] 7 log lines dropped\nafter\n"), text);
    assert.equal(queue.dropped, 0);
  },
});

Deno.test({
  name: "LogQueue says how many lines it dropped once its writer catches up, with no line after",
  permissions: "none",
  fn: async () => {
    const { writer, written, open } = gatedWriter();
    const queue = new LogQueue(writer, { maxBytes: 100, now: () => 0 });
    for (let i = 0; i < 20; i++) queue.sink(`line ${i}`);
    assert.equal(queue.dropped, 7);
    // The log goes quiet: nothing more is queued, the reader comes back.
    open();
    await queue.flush();
    const text = written.join("");
    assert.ok(text.endsWith("line 12\n[00:00:00] 7 log lines dropped\n"), text);
    assert.equal(queue.dropped, 0);
    assert.equal(queue.queuedBytes, 0);
  },
});

Deno.test({
  name: "LogQueue reports a line too long for its whole size at once, with nothing else queued",
  permissions: "none",
  fn: async () => {
    const { writer, written, open } = gatedWriter();
    open();
    const queue = new LogQueue(writer, { maxBytes: 10, now: () => 0 });
    queue.sink("x".repeat(20));
    await queue.flush();
    assert.equal(written.join(""), "[00:00:00] 1 log line dropped\n");
    assert.equal(queue.dropped, 0);
  },
});

Deno.test({
  name: "LogQueue writes the lines of a few milliseconds at once, not a write per line",
  permissions: "none",
  fn: async () => {
    const { writer, written: writes, open } = gatedWriter();
    open();
    const queue = new LogQueue(writer, { coalesceMs: 50 });
    queue.sink("first");
    // Lines from later turns of the event loop, within the coalescing time.
    await Promise.resolve();
    queue.sink("second");
    await new Promise((r) => setTimeout(r, 0));
    queue.sink("third");
    await queue.flush();
    assert.deepEqual(writes, ["first\nsecond\nthird\n"]);
    // With no coalescing, the first line goes out alone, the rest with the next write.
    const eager = new LogQueue(writer, { coalesceMs: 0 });
    writes.length = 0;
    eager.sink("a");
    eager.sink("b");
    await eager.flush();
    assert.deepEqual(writes, ["a\n", "b\n"]);
  },
});
