/**
 * The shipped programs end to end: the bundles that `deno task bundle`
 * builds (always), and the binaries that `deno task compile` builds (when
 * `deno compile` can get its runtime, `denort`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { bundle } from "../scripts/bundle.ts";
import { compile, DenortUnavailable } from "../scripts/compile.ts";
import { PERMISSIONS, type Program, PROGRAMS } from "../scripts/targets.ts";
import { binaryInstall, bundleInstall, runSmokeTest } from "./support/smoke.ts";

Deno.test("the bundles, each alone in an empty folder, join, chat, attach and quit", async () => {
  const dist = await Deno.makeTempDir({ prefix: "chatroom-bundle-" });
  try {
    const paths = await bundle({ outDir: dist });
    await runSmokeTest(bundleInstall(paths, PERMISSIONS));
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});

Deno.test("the bundled server refuses a downloads folder it may not write in one line", async () => {
  const dist = await Deno.makeTempDir({ prefix: "chatroom-bundle-" });
  try {
    const paths = await bundle({ outDir: dist });
    const elsewhere = join(dist, "elsewhere");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS.server, paths.server, "--port", "0", "--downloads", elsewhere],
      cwd: dist,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
    assert.match(stderr, /^server: not permitted: Requires write access to ".*elsewhere"/);
    assert.match(stderr, /may only store attachments in downloads\/ in the folder it runs in/);
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});

/** Compiles the host binaries once, up front, so the test can be skipped (and say why). */
async function compileForTest(): Promise<
  { dir: string; paths?: Record<Program, string>; skip?: string; error?: unknown }
> {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-compiled-" });
  try {
    const binaries = await compile({ outDir: dir });
    const paths = Object.fromEntries(PROGRAMS.map((p, i) => [p, binaries[i]]));
    return { dir, paths: paths as Record<Program, string> };
  } catch (error) {
    if (error instanceof DenortUnavailable) return { dir, skip: error.message };
    return { dir, error };
  }
}

const compiled = await compileForTest();
if (compiled.skip) {
  console.warn(`Skipping the smoke test of compiled binaries: ${compiled.skip}`);
  await Deno.remove(compiled.dir, { recursive: true });
}

Deno.test({
  name: "the compiled binaries, each alone in an empty folder, join, chat, attach and quit" +
    (compiled.skip ? " (skipped: deno compile cannot get denort; set DENORT_BIN)" : ""),
  ignore: compiled.skip !== undefined,
  async fn() {
    try {
      if (compiled.error) throw compiled.error;
      await runSmokeTest(binaryInstall(compiled.paths!));
    } finally {
      await Deno.remove(compiled.dir, { recursive: true });
    }
  },
});
