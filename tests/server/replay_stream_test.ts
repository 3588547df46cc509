/**
 * replayStream, the joiner's history as a stream: it hands the event loop
 * back while it works, so a long history to a reader that keeps up does
 * not hold up everyone else.
 */
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { MemoryHistory } from "../../lib/server/history/history.ts";
import { replayStream } from "../../lib/server/replay.ts";
import { Logger } from "../../lib/shared/log.ts";

Deno.test("replayStream lets the event loop turn while it streams a long history to a fast reader", async () => {
  const history = new MemoryHistory();
  const count = 50_000;
  for (let i = 0; i < count; i++) {
    history.append({
      kind: "chat",
      timestamp: i,
      username: "Cool",
      text: `line ${i} ${"x".repeat(60)}`,
    });
  }
  // Another connection's work, queued behind the event loop's next turn (as a socket read is).
  let framesWhenOthersRan: number | undefined;
  let frames = 0;
  setImmediate(() => framesWhenOthersRan = frames);
  // A reader that keeps up: every chunk taken at once, as a write to a socket with room resolves.
  for await (
    const _ of replayStream(history, history.tail(), {
      downloadsDir: "/nonexistent",
      logger: new Logger(() => {}),
      onFrame: () => frames++,
    })
  ) {
    // taken
  }
  assert.equal(frames, count);
  assert.ok(framesWhenOthersRan !== undefined, "the event loop never turned during the replay");
  assert.ok(
    framesWhenOthersRan < count / 2,
    `the event loop turned only after ${framesWhenOthersRan} of ${count} frames`,
  );
});
