/**
 * A server whose stdout nobody reads (a paused terminal, a full pipe: a
 * pipe holds 64 KiB) must go on serving, and stop at once on SIGTERM: its
 * log is queued, dropped and counted when full, never written
 * synchronously. The server runs as a real subprocess; its stdout pipe is
 * read only when the test says so.
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { concatBytes } from "../../lib/shared/wire/bytes.ts";
import { TestClient } from "../support/harness.ts";
import { Bystanders } from "../support/bystanders.ts";
import { denoLauncher } from "../support/program_process.ts";

/**
 * Reads `stdout` until `pattern` shows, then stops reading (the pipe fills
 * up again); fails if it has not shown within `ms`.
 */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
  ms = 10_000,
): Promise<RegExpExecArray> {
  const decoder = new TextDecoder();
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new Error(`stdout did not show ${pattern} within ${ms} ms; it said:\n${text.slice(-2000)}`),
      );
    }, ms);
  });
  try {
    while (true) {
      const match = pattern.exec(text);
      if (match) return match;
      const { value, done } = await Promise.race([reader.read(), late]);
      if (done) throw new Error(`stdout ended before ${pattern}; it said:\n${text.slice(-2000)}`);
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Makes the server log `count` lines (chat lines of a member, each logged;
 * the log's unjoined requests are throttled), and waits for every echo.
 */
async function logLines(port: number, count: number): Promise<void> {
  await using flooder = await TestClient.join(port, "Flood");
  const parts = Array.from({ length: count }, (_, i) => encodeFrame({ payload: `log line ${i}` }));
  await flooder.sendRaw(concatBytes(parts));
  await flooder.nextText(`log line ${count - 1}`, 10_000);
}

Deno.test({
  name:
    "a server whose stdout is never read keeps serving, reports the lines it dropped, and exits 0 on SIGTERM within 5 s",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "chatroom-stdout-" });
    const launcher = denoLauncher("server");
    const child = new Deno.Command(launcher.command, {
      args: [
        ...launcher.args,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-rate-limit",
        "--log-queue",
        "16K",
        // The flooder's seat, beside the bystanders' three.
        "--max-users",
        "4",
      ],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write: (text) => void Deno.stderr.write(new TextEncoder().encode(text)),
      }),
    );
    const stdout = child.stdout.getReader();
    try {
      const [, port] = await readUntil(stdout, /listening on 127\.0\.0\.1:(\d+)/);
      // 3,000 chat lines, about 150 KiB: twice what the pipe holds, past the 16 KiB queue.
      await logLines(Number(port), 3000);
      {
        await using people = await Bystanders.start(Number(port));
        await people.assertHealthy(dir);
        // Someone reads stdout again: the queue drains, and says what it left out.
        people.cool.say("log me");
        await people.fun.nextText("log me");
        await readUntil(stdout, /\] \d+ log lines dropped\n/);
      }
      // Blocked again, then stopped.
      await logLines(Number(port), 3000);
      const started = Date.now();
      child.kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const status = await Promise.race([
        child.status,
        new Promise<null>((r) => timer = setTimeout(() => r(null), 5000)),
      ]);
      clearTimeout(timer);
      if (!status) child.kill("SIGKILL");
      assert.ok(status, "the server did not exit within 5 s of SIGTERM");
      assert.equal(status.code, 0);
      assert.ok(Date.now() - started < 5000);
    } finally {
      // A check that failed early leaves the server running: stop it, or this waits forever.
      try {
        child.kill("SIGKILL");
      } catch {
        // It has exited already.
      }
      await child.status;
      await stdout.cancel();
      await stderr;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
