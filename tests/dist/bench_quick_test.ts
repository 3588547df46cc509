import assert from "node:assert/strict";
import { FIGURES } from "../../bench/report.ts";
import { ROOT } from "../../scripts/deno_command.ts";

/** The figures the issue names; every run must report them. */
const ISSUE_FIGURES = [
  "raw_mb_s",
  "relay_ratio",
  "relay3_ratio",
  "relay_rss_growth_mib",
  "fanout_p50_ms",
  "fanout_p99_ms",
  "fanout_deliveries_s",
  "idle_rss_per_client_kib",
  "join_100k_ms",
  "startup_ms",
];

Deno.test({
  name: "deno task bench --quick --json runs every scenario and reports every figure",
  // The bench is Linux-only: it measures the server's memory in /proc/PID/status, its file
  // limit in /proc/self/limits, and starts the server through /bin/sh (bench/support/).
  ignore: Deno.build.os !== "linux",
  fn: benchReportsEveryFigure,
});

async function benchReportsEveryFigure() {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "bench", "--quick", "--json"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `the bench failed:\n${stderr}`);
  const report = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(report.mode, "quick");
  for (const name of [...ISSUE_FIGURES, ...FIGURES.map((f) => f.name)]) {
    assert.equal(typeof report[name], "number", `${name} is missing`);
    assert.ok(Number.isFinite(report[name]), `${name} is ${report[name]}`);
  }
  assert.equal(report.fanout_lost, 0, "a chat line was lost");
  assert.equal(report.machine.deno, Deno.version.deno);
}
