/**
 * The GitHub workflows, checked as far as they can be without GitHub: the
 * tasks they call exist, the artifacts they build and smoke-test are the
 * files scripts/targets.ts names, and the smoke job runs what it downloads.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../../scripts/deno_command.ts";
import { binaryName, PROGRAMS, TARGETS } from "../../scripts/targets.ts";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  shell?: string;
}

interface Job {
  "runs-on": string;
  needs?: string | string[];
  strategy?: { matrix: { os?: string[]; include?: Record<string, string>[] } };
  steps: Step[];
}

interface Workflow {
  jobs: Record<string, Job>;
}

const WORKFLOWS = ["ci.yml", "release.yml"];

async function readWorkflow(name: string): Promise<Workflow> {
  return parse(await Deno.readTextFile(join(ROOT, ".github", "workflows", name))) as Workflow;
}

const TASKS = Object.keys(JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).tasks);

/** Replaces `${{ matrix.X }}` with the entry's values. */
function expand(text: string, entry: Record<string, string>): string {
  return text.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_m, key) => {
    assert.ok(key in entry, `matrix.${key} is not in ${JSON.stringify(entry)}`);
    return entry[key];
  });
}

/** A glob of upload-artifact (only `*` is used) as a RegExp. */
function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split("*").map((part) => RegExp.escape(part)).join("[^/]*")}$`);
}

Deno.test("every deno task the workflows run exists in deno.json", async () => {
  for (const name of WORKFLOWS) {
    const workflow = await readWorkflow(name);
    for (const [jobName, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps) {
        for (const [, task] of (step.run ?? "").matchAll(/\bdeno task ([\w:-]+)/g)) {
          assert.ok(TASKS.includes(task), `${name}: job ${jobName} runs deno task ${task}`);
        }
      }
    }
  }
});

Deno.test("the workflows set up the Deno that .ci/run and the README use", async () => {
  const ciRun = await Deno.readTextFile(join(ROOT, ".ci", "run"));
  const version = /^DENO_VERSION=(\S+)$/m.exec(ciRun)?.[1];
  assert.ok(version, ".ci/run sets DENO_VERSION");
  for (const name of WORKFLOWS) {
    for (const [jobName, job] of Object.entries((await readWorkflow(name)).jobs)) {
      for (const step of job.steps.filter((s) => s.uses?.startsWith("denoland/setup-deno"))) {
        assert.equal(String(step.with?.["deno-version"]), version, `${name}: job ${jobName}`);
      }
    }
  }
});

Deno.test("ci.yml runs the tests on Linux, macOS and Windows", async () => {
  const { jobs } = await readWorkflow("ci.yml");
  assert.deepEqual(jobs.test.strategy?.matrix.os, [
    "ubuntu-latest",
    "macos-latest",
    "windows-latest",
  ]);
  assert.ok(jobs.test.steps.some((s) => s.run === "deno task test"));
});

Deno.test("release.yml uploads every binary of scripts/targets.ts and nothing else", async () => {
  const { jobs } = await readWorkflow("release.yml");
  assert.ok(jobs.build.steps.some((s) => s.run === "deno task compile:all"));
  const upload = jobs.build.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"));
  assert.ok(upload?.with, "the build job uploads an artifact");
  const globs = upload.with.path.trim().split("\n").map((line) => globRegExp(line.trim()));
  const shipped = [
    ...TARGETS.flatMap((target) =>
      PROGRAMS.map((program) => `dist/${binaryName(program, { target, named: true })}`)
    ),
    "dist/SHA256SUMS",
  ];
  for (const file of shipped) {
    assert.ok(globs.some((glob) => glob.test(file)), `${file} is not uploaded`);
  }
  for (const bundle of ["dist/server.js", "dist/client.js", "dist/server", "dist/client"]) {
    assert.ok(!globs.some((glob) => glob.test(bundle)), `${bundle} would be uploaded`);
  }
});

const RUNNER_OS: Record<string, { os: string; arch: string }> = {
  "ubuntu-latest": { os: "linux", arch: "x86_64" },
  "macos-latest": { os: "apple-darwin", arch: "aarch64" }, // Apple silicon since 2024
  "windows-latest": { os: "windows", arch: "x86_64" },
};

Deno.test("release.yml's smoke job runs the binaries it downloads, on their own OS", async () => {
  const { jobs } = await readWorkflow("release.yml");
  const smoke = jobs.smoke;
  assert.equal(smoke.needs, "build");
  assert.equal(jobs.release.needs, "smoke", "the release waits for the smoke test");

  const upload = jobs.build.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"))!;
  const download = smoke.steps.find((s) => s.uses?.startsWith("actions/download-artifact"));
  assert.equal(download?.with?.name, upload.with!.name, "the smoke job downloads the build's");
  assert.equal(download?.with?.path, "dist");

  const run = smoke.steps.find((s) => s.run?.includes("tests/dist/smoke_test.ts"));
  assert.ok(run?.env, "a step runs tests/dist/smoke_test.ts with the binaries in its env");
  const smokeTest = await Deno.readTextFile(join(ROOT, "tests", "dist", "smoke_test.ts"));
  for (const variable of ["SMOKE_SERVER_BIN", "SMOKE_CLIENT_BIN"]) {
    assert.ok(variable in run.env, `${variable} is set`);
    assert.ok(smokeTest.includes(`Deno.env.get("${variable}")`), `smoke_test.ts reads ${variable}`);
  }
  assert.doesNotMatch(run.run!, /\$PWD/, "Git Bash's $PWD is no path for Deno on Windows");

  const entries = smoke.strategy?.matrix.include ?? [];
  assert.equal(entries.length, 3, "Linux, macOS and Windows");
  for (const entry of entries) {
    assert.ok((TARGETS as readonly string[]).includes(entry.target), entry.target);
    const runner = RUNNER_OS[entry.os];
    assert.ok(runner, `a runner the test knows: ${entry.os}`);
    assert.ok(
      entry.target.startsWith(runner.arch) && entry.target.includes(runner.os),
      `${entry.target} runs on ${entry.os}`,
    );
    assert.equal(expand(smoke["runs-on"], entry), entry.os);
    for (const program of PROGRAMS) {
      const variable = program === "server" ? "SMOKE_SERVER_BIN" : "SMOKE_CLIENT_BIN";
      assert.equal(
        expand(run.env[variable], entry),
        `dist/${binaryName(program, { target: entry.target, named: true })}`,
        `${variable} for ${entry.target}`,
      );
    }
  }
});
