/**
 * The shipped programs end to end: the bundles that `deno task bundle`
 * builds (always), and the binaries that `deno task compile` builds (when
 * `deno compile` can get its runtime, `denort`).
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { bundle } from "../../scripts/bundle.ts";
import { compile, DenortUnavailable } from "../../scripts/compile.ts";
import { PERMISSIONS, type Program, PROGRAMS } from "../../scripts/targets.ts";
import { binaryInstall, bundleInstall, runSmokeTest } from "../support/smoke.ts";

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

/** The binaries to smoke-test, or why there are none. */
interface Binaries {
  paths?: Record<Program, string>;
  skip?: string;
  error?: unknown;
  cleanup(): Promise<void>;
}

/**
 * The binaries named by `SMOKE_SERVER_BIN` and `SMOKE_CLIENT_BIN` (the
 * release workflow tests the files it ships), else host binaries compiled
 * once, up front, so the test can be skipped, and say why, when `deno
 * compile` cannot get denort.
 */
async function binariesForTest(): Promise<Binaries> {
  const given = {
    server: Deno.env.get("SMOKE_SERVER_BIN"),
    client: Deno.env.get("SMOKE_CLIENT_BIN"),
  };
  if (given.server || given.client) {
    const cleanup = () => Promise.resolve();
    if (given.server && given.client) {
      // Relative to the working folder (the release workflow passes dist/…).
      const paths = { server: resolve(given.server), client: resolve(given.client) };
      return { paths, cleanup };
    }
    return {
      error: new Error("Set both SMOKE_SERVER_BIN and SMOKE_CLIENT_BIN, or neither"),
      cleanup,
    };
  }
  const dir = await Deno.makeTempDir({ prefix: "chatroom-compiled-" });
  const cleanup = () => Deno.remove(dir, { recursive: true });
  try {
    const binaries = await compile({ outDir: dir });
    const paths = Object.fromEntries(PROGRAMS.map((p, i) => [p, binaries[i]]));
    return { paths: paths as Record<Program, string>, cleanup };
  } catch (error) {
    if (error instanceof DenortUnavailable) return { skip: error.message, cleanup };
    return { error, cleanup };
  }
}

const binaries = await binariesForTest();
if (binaries.skip) {
  console.warn(`Skipping the smoke test of compiled binaries: ${binaries.skip}`);
  await binaries.cleanup();
}

Deno.test({
  name: "the compiled binaries, each alone in an empty folder, join, chat, attach and quit" +
    (binaries.skip ? " (skipped: deno compile cannot get denort; set DENORT_BIN)" : ""),
  ignore: binaries.skip !== undefined,
  async fn() {
    try {
      if (binaries.error) throw binaries.error;
      await runSmokeTest(binaryInstall(binaries.paths!));
    } finally {
      await binaries.cleanup();
    }
  },
});
