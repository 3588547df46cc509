/** withoutTaskSeparator() and checkWritable(): start-up helpers of the entry points. */
import assert from "node:assert/strict";
import { withoutTaskSeparator } from "../../lib/shared/task_args.ts";
import { checkWritable } from "../../lib/shared/check_writable.ts";

Deno.test("withoutTaskSeparator() drops the -- that deno task puts before the user's arguments", () => {
  assert.deepEqual(withoutTaskSeparator(["--gui", "--", "--no-open"]), ["--gui", "--no-open"]);
  assert.deepEqual(withoutTaskSeparator(["--", "--port", "1"]), ["--port", "1"]);
  assert.deepEqual(withoutTaskSeparator(["--gui", "--no-open"]), ["--gui", "--no-open"]);
  assert.deepEqual(withoutTaskSeparator(["--", "--"]), ["--"], "only the first");
});

Deno.test("checkWritable() names the flag, the folder and the permission to add", async (t) => {
  await t.step("null where writing is granted", () => {
    assert.equal(checkWritable("downloads", { query: () => "granted" }), null);
  });
  await t.step("one line where it is not", () => {
    for (const state of ["denied", "prompt"] as const) {
      const line = checkWritable("/srv/files", { query: () => state });
      assert.ok(line);
      assert.equal(line.includes("\n"), false);
      assert.match(line, /^Cannot use --downloads \/srv\/files: this program may not write there/);
      assert.match(line, /--allow-write=\/srv\/files/);
    }
  });
  await t.step("with Deno's own permissions", async () => {
    // This test runs with --allow-all (as does `deno eval`): a child run with
    // --allow-write=downloads sees the difference.
    const code = `import { checkWritable } from ${
      JSON.stringify(new URL("../../lib/shared/check_writable.ts", import.meta.url).href)
    };
console.log(JSON.stringify([checkWritable("downloads"), checkWritable("elsewhere", { flag: "--data-dir" })]));`;
    const dir = await Deno.makeTempDir({ prefix: "chatroom-writable-" });
    try {
      await Deno.writeTextFile(`${dir}/probe.ts`, code);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", "--allow-write=downloads", "probe.ts"],
        cwd: dir,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const [inside, outside] = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.equal(inside, null);
      assert.match(outside, /^Cannot use --data-dir elsewhere: .*--allow-write=elsewhere/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
