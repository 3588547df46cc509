import assert from "node:assert/strict";
import { FIGURES } from "../../bench/report.ts";

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

Deno.test("deno task bench --quick --json runs every scenario and reports every figure", async () => {
  const root = new URL("../..", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "bench", "--quick", "--json"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `the bench failed:\n${stderr}`);
  const report = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(report.mode, "quick");
  const everyRun = FIGURES.filter((f) => !f.onlyWith).map((f) => f.name);
  for (const name of [...ISSUE_FIGURES, ...everyRun]) {
    assert.equal(typeof report[name], "number", `${name} is missing`);
    assert.ok(Number.isFinite(report[name]), `${name} is ${report[name]}`);
  }
  assert.equal(report.fanout_lost, 0, "a chat line was lost");
  assert.equal(report.machine.deno, Deno.version.deno);
});
