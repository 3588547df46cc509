import assert from "node:assert/strict";
import { type Launcher, ProgramProcess } from "../support/program_process.ts";

/** A shell script as the program: portable enough for the helper's own tests (not on Windows). */
const sh = (script: string): Launcher => ({ command: "sh", args: ["-c", script], name: "sh" });
const cwd = Deno.cwd();

Deno.test({
  name: "ProgramProcess",
  ignore: Deno.build.os === "windows",
  fn: async (t) => {
    await t.step("waitFor() looks after the previous match, or from an offset", async () => {
      await using p = ProgramProcess.start(sh("echo one; echo two; echo one; cat"), [], { cwd });
      const first = await p.waitFor("one");
      const second = await p.waitFor("one");
      assert.ok(second.index > first.index, "the second wait found a later line");
      const again = await p.waitFor(/(o)ne/, { from: 0 });
      assert.equal(again.index, first.index);
      assert.equal(again[1], "o");
      const mark = p.mark();
      await p.type("echoed");
      assert.equal((await p.waitFor("echoed", { from: mark })).index, mark);
      assert.equal((await p.exit()).code, 0);
    });

    await t.step(
      "waitFor() fails at once, with the transcript, when the program exits",
      async () => {
        await using p = ProgramProcess.start(sh("echo out; echo err >&2; exit 3"), [], { cwd });
        const started = Date.now();
        await assert.rejects(p.waitFor("never"), (error: Error) => {
          assert.match(error.message, /^sh exited before printing never\./);
          assert.match(error.message, /--- stdout \(end\) ---\nout\n/);
          assert.match(error.message, /--- stderr \(end\) ---\nerr\n/);
          return true;
        });
        assert.ok(Date.now() - started < 5_000, "it did not wait for the timeout");
        assert.equal((await p.exited()).code, 3);
        assert.equal(p.output.split("\n").sort().join(" "), " err out");
      },
    );

    await t.step("waitFor() fails after timeoutMs if nothing matches", async () => {
      await using p = ProgramProcess.start(sh("cat"), [], { cwd });
      await assert.rejects(
        p.waitFor("never", { timeoutMs: 50 }),
        /did not print never within 50 ms/,
      );
    });

    await t.step("disposal kills a program that still runs and waits for it", async () => {
      let pid = 0;
      {
        await using p = ProgramProcess.start(sh("exec sleep 60"), [], { cwd });
        pid = p.pid;
      }
      assert.throws(() => Deno.kill(pid, "SIGCONT"), Deno.errors.NotFound);
    });
  },
});
