/**
 * The build scripts: file names, permissions, checksums, and the one-line
 * explanation when `deno compile` cannot get `denort`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { binaryName, PERMISSIONS, PROGRAMS, TARGETS } from "../../scripts/targets.ts";
import { explainDenortFailure, lastCause } from "../../scripts/denort.ts";
import { writeChecksums } from "../../scripts/compile.ts";
import { ROOT } from "../../scripts/deno_command.ts";

const LINUX = "x86_64-unknown-linux-gnu";
const MAC = "aarch64-apple-darwin";

/** What deno 2.9.6 printed (NO_COLOR) when dl.deno.land could not be resolved. */
const DOWNLOAD_FAILED =
  `error: Writing deno compile executable to temporary file '/tmp/ct/x.tmp-a02978477daf3701'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-${LINUX}.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)
    3: dns error
    4: failed to lookup address information: Name or service not known

Stack backtrace:
   0: <unknown>
`;

/** What deno 2.9.6 printed with DENORT_BIN=/nonexistent. */
const DENORT_BIN_MISSING =
  `error: Writing deno compile executable to temporary file '/tmp/ct/x.tmp-6482c2f5e6c832b3'

Caused by:
    0: Could not find denort at '/nonexistent'
    1: No such file or directory (os error 2)

Stack backtrace:
   0: <unknown>
`;

Deno.test("binaryName() names host builds plainly and target builds after the target", () => {
  assert.equal(binaryName("server", { target: LINUX, named: false }), "server");
  assert.equal(binaryName("client", { target: LINUX, named: true }), `client-${LINUX}`);
  assert.equal(
    binaryName("client", { target: "x86_64-pc-windows-msvc", named: false }),
    "client.exe",
  );
  assert.equal(
    binaryName("server", { target: "x86_64-pc-windows-msvc", named: true }),
    "server-x86_64-pc-windows-msvc.exe",
  );
  const names = TARGETS.flatMap((target) =>
    PROGRAMS.map((p) => binaryName(p, { target, named: true }))
  );
  assert.equal(new Set(names).size, 10);
});

Deno.test("explainDenortFailure() turns a failed download into one line naming DENORT_BIN", async (t) => {
  await t.step("for the host's target", () => {
    const line = explainDenortFailure(DOWNLOAD_FAILED, {
      target: LINUX,
      host: LINUX,
      version: "2.9.6",
    });
    assert.ok(line);
    assert.equal(line.includes("\n"), false);
    assert.match(line, /cannot download Deno's runtime \(denort\) for x86_64-unknown-linux-gnu/);
    assert.match(line, /https:\/\/dl\.deno\.land\/release\/v2\.9\.6\/denort-x86_64/);
    assert.match(line, /\(failed to lookup address information: Name or service not known\)/);
    assert.match(line, /set DENORT_BIN to the denort binary of Deno 2\.9\.6/);
  });
  await t.step("for another target, where DENORT_BIN does not apply", () => {
    const line = explainDenortFailure(DOWNLOAD_FAILED.replace(LINUX, MAC), {
      target: MAC,
      host: LINUX,
      version: "2.9.6",
    });
    assert.match(line!, /DENORT_BIN only stands in for the host's target \(x86_64-unknown/);
  });
  await t.step("when DENORT_BIN points at nothing", () => {
    const line = explainDenortFailure(DENORT_BIN_MISSING, {
      target: LINUX,
      host: LINUX,
      version: "2.9.6",
    });
    assert.equal(
      line,
      `DENORT_BIN is set to "/nonexistent", which cannot be read (No such file or directory (os error 2)); point it at the denort binary of Deno 2.9.6 for ${LINUX}, or unset it`,
    );
  });
  await t.step("but leaves other errors alone", () => {
    const other = 'error: Module not found "file:///x/server.js".\n';
    assert.equal(
      explainDenortFailure(other, { target: LINUX, host: LINUX, version: "2.9.6" }),
      null,
    );
  });
});

Deno.test("lastCause() reads the error chain, not the backtrace", () => {
  assert.equal(lastCause(DENORT_BIN_MISSING), "No such file or directory (os error 2)");
  assert.equal(lastCause("error: Something broke\n"), "Something broke");
});

Deno.test("writeChecksums() writes lines that sha256sum -c accepts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-sums-" });
  try {
    await Deno.writeTextFile(join(dir, "b"), "abc");
    await Deno.writeTextFile(join(dir, "a"), "");
    await writeChecksums(join(dir, "SHA256SUMS"), [join(dir, "b"), join(dir, "a")]);
    assert.equal(
      await Deno.readTextFile(join(dir, "SHA256SUMS")),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a\n" +
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  b\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno.json's server and client tasks ask for no more than the binaries get", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  for (const program of PROGRAMS) {
    const flags = (config.tasks[program] as string).split(" ").filter((w) => w.startsWith("--"));
    for (const flag of flags) {
      assert.ok(
        PERMISSIONS[program].includes(flag),
        `The ${program} task uses ${flag}, which scripts/targets.ts does not give the ${program} binary`,
      );
    }
  }
});

Deno.test("deno task compile says in one line that DENORT_BIN points at nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatroom-compile-" });
  try {
    const missing = join(dir, "no-denort");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "scripts", "compile.ts"), "--out-dir", dir],
      env: { DENORT_BIN: missing, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1);
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
    assert.match(stderr, /^compile: Cannot build .*server.*: DENORT_BIN is set to ".*no-denort"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile rejects an unknown flag with usage and exit code 2", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts", "compile.ts"), "--target", "x"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2);
  assert.match(stderr, /^compile: Unknown option '--target'\n\nUsage: deno task compile/);
});
