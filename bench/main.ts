/**
 * `deno task bench`: runs every scenario against real `server.ts` processes
 * on 127.0.0.1 and prints a table, or with `--json` one JSON object.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type BenchConfig, DEFAULT_CONFIG, QUICK_CONFIG } from "./config.ts";
import { FIGURES, meetsTarget, renderTable } from "./report.ts";
import { describeMachine, OtherLoad } from "./support/machine.ts";
import { measureStartup } from "./scenarios/startup.ts";
import { measureRaw, measureSha256 } from "./scenarios/raw.ts";
import { measureRelay } from "./scenarios/relay.ts";
import { measureJoin } from "./scenarios/join.ts";
import { BARE_RELAY_TS, measureFanout } from "./scenarios/fanout.ts";
import { measureIdle } from "./scenarios/idle.ts";
import { measurePeers, PEERS_INSTALL } from "./scenarios/peers.ts";

const USAGE = `Usage: deno task bench [--quick] [--json] [--only=NAME,…] [--peers]

Runs the chatroom's benchmarks against real server and client processes on
127.0.0.1 (see docs/PERFORMANCE.md).

Options:
  --quick        scaled-down sizes, under 30 s (a smoke test; figures not comparable)
  --json         print one JSON object with every figure instead of the table
  --only NAMES   run only these scenarios: ${"startup,raw,relay,join,fanout,idle"}
  --peers        run the fanout scenario against ngircd and inspircd too, as
                 shipped and with TCP_NODELAY (${PEERS_INSTALL})
  -h, --help     show this help`;

type Figures = Record<string, number>;
/** What the command line asks of the scenarios besides sizes. */
interface RunFlags {
  /** `--peers`: the fan-out against the peer IRC servers too. */
  peers: boolean;
}
/** Runs one scenario; what is not a figure (e.g. every run of a median) goes in `details`. */
type Scenario = (
  config: BenchConfig,
  details: Record<string, unknown>,
  flags: RunFlags,
) => Promise<Figures>;

/** The scenarios, in the order they run (the longest last). */
const SCENARIOS: Record<string, Scenario> = {
  startup: async (c) => ({ ...await measureStartup(c.startupRuns) }),
  raw: async (c, details) => {
    const { raw_runs_mb_s, ...paths } = await measureRaw(c.rawBytes, c.rawRuns);
    details.raw_runs_mb_s = raw_runs_mb_s;
    const sha256_mb_s = await measureSha256(c.rawBytes, c.rawRuns);
    const raw = paths.raw_mb_s;
    return {
      ...paths,
      sha256_mb_s,
      sha256_ratio: sha256_mb_s / raw,
      hashed_ratio: paths.hashed_mb_s / raw,
      forward_ratio: paths.forward_mb_s / raw,
      forward_hashed_ratio: paths.forward_hashed_mb_s / raw,
      forward_stored_ratio: paths.forward_stored_mb_s / raw,
    };
  },
  relay: async (c) => ({ ...await measureRelay(c.relay) }),
  join: async (c) => ({ ...await measureJoin(c.join) }),
  fanout: async (c, _details, flags) => {
    // The baseline first, then the chatroom, in the same conditions; then the peers.
    const bare = await measureFanout(c.fanout, { script: BARE_RELAY_TS });
    const { rssPerClientKib, ...ours } = await measureFanout(c.fanout);
    const figures: Figures = {
      ...ours,
      fanout_bare_p50_ms: bare.fanout_p50_ms,
      fanout_bare_p99_ms: bare.fanout_p99_ms,
      fanout_bare_deliveries_s: bare.fanout_deliveries_s,
      fanout_p99_vs_bare: ours.fanout_p99_ms / bare.fanout_p99_ms,
      fanout_deliveries_vs_bare: ours.fanout_deliveries_s / bare.fanout_deliveries_s,
    };
    if (!flags.peers) return figures;
    const peers = await measurePeers(c.fanout, (line) => console.error(line));
    return { ...figures, ...peers, ...compareWithPeers(figures, peers, rssPerClientKib) };
  },
  idle: async (c) => ({ ...await measureIdle(c.idle) }),
};

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      only: { type: "string" },
      peers: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const names = values.only?.split(",").map((s) => s.trim()) ?? Object.keys(SCENARIOS);
  const unknown = names.filter((name) => !(name in SCENARIOS));
  if (unknown.length) {
    console.error(`bench: unknown scenario ${unknown.join(", ")}\n\n${USAGE}`);
    return 2;
  }
  if (values.peers && !names.includes("fanout")) {
    console.error("bench: --peers runs with the fanout scenario, which --only left out");
  }
  const config = values.quick ? QUICK_CONFIG : DEFAULT_CONFIG;
  const flags: RunFlags = { peers: values.peers };
  const started = performance.now();
  const figures: Figures = {};
  const otherLoad: Record<string, number> = {};
  const details: Record<string, unknown> = {};
  for (const name of names) {
    console.error(`bench: ${name}…`);
    const load = new OtherLoad();
    const t0 = performance.now();
    Object.assign(figures, await SCENARIOS[name](config, details, flags));
    otherLoad[name] = load.stop();
    await settleDisk();
    console.error(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  // Ratios to the baseline measured in this same run, as the issue asks.
  if ("raw_mb_s" in figures && "relay_mb_s" in figures) {
    figures.relay_ratio = figures.relay_mb_s / figures.raw_mb_s;
    figures.relay3_ratio = figures.relay3_mb_s / figures.raw_mb_s;
    // How close to what the scenario's own hash check allows with no server at all.
    figures.relay_vs_hashed = figures.relay_mb_s / figures.hashed_mb_s;
    figures.relay3_vs_hashed = figures.relay3_mb_s / figures.hashed_mb_s;
    // The relay whose file takes warm pages, against the same and against a bare
    // forwarder that hashes and stores the file as the server must (warm pages too).
    figures.relay_warm_vs_hashed = figures.relay_warm_mb_s / figures.hashed_mb_s;
    figures.relay3_warm_vs_hashed = figures.relay3_warm_mb_s / figures.hashed_mb_s;
    figures.relay_warm_vs_forward_stored = figures.relay_warm_mb_s / figures.forward_stored_mb_s;
  }
  // What the cores could relay at the CPU cost each byte had in this run, all of them busy.
  if ("relay_cpu_ns_per_byte" in figures) {
    const cores = navigator.hardwareConcurrency;
    figures.relay_cpu_ceiling_mb_s = (cores * 1000) / figures.relay_cpu_ns_per_byte;
    figures.relay3_cpu_ceiling_mb_s = (cores * 1000) / figures.relay3_cpu_ns_per_byte;
    figures.relay_vs_cpu_ceiling = figures.relay_mb_s / figures.relay_cpu_ceiling_mb_s;
    figures.relay3_vs_cpu_ceiling = figures.relay3_mb_s / figures.relay3_cpu_ceiling_mb_s;
  }
  const context = {
    machine: describeMachine(),
    quick: values.quick,
    totalS: (performance.now() - started) / 1000,
    otherLoad,
  };
  if (values.json) {
    const targets = Object.fromEntries(
      FIGURES.filter((spec) => spec.target && spec.name in figures).map((spec) => [
        spec.name,
        { ...spec.target, met: meetsTarget(spec, figures[spec.name]) },
      ]),
    );
    console.log(JSON.stringify({
      ...figures,
      mode: values.quick ? "quick" : "default",
      targets,
      machine: context.machine,
      other_load_cores: otherLoad,
      details,
      total_s: context.totalS,
      config,
    }));
  } else {
    console.log(renderTable(figures, context));
  }
  return 0;
}

/**
 * The targets against the peers of the same run: our p99 against
 * ngircd's with TCP_NODELAY, our saturation against inspircd's (the better
 * of its two variants); and our memory per client of the same 100
 * connections. Only what the run measured.
 */
function compareWithPeers(ours: Figures, peers: Figures, rssPerClientKib: number): Figures {
  const compared: Figures = { peers_ours_idle_rss_per_client_kib: rssPerClientKib };
  if ("peers_ngircd_nodelay_p99_ms" in peers) {
    compared.fanout_p99_vs_ngircd_nodelay = ours.fanout_p99_ms / peers.peers_ngircd_nodelay_p99_ms;
  }
  const inspircd = ["peers_inspircd_deliveries_s", "peers_inspircd_nodelay_deliveries_s"]
    .filter((name) => name in peers).map((name) => peers[name]);
  if (inspircd.length) {
    compared.fanout_deliveries_vs_inspircd = ours.fanout_deliveries_s / Math.max(...inspircd);
  }
  return compared;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

/**
 * Flushes what the scenario left in the page cache (the relay writes 2.5 GiB
 * of attachments, the join 100,000 history lines) before the next one
 * starts: the kernel would otherwise write it back during the next
 * scenario and hold up the server's history commits there. Linux `sync`;
 * where there is none, nothing.
 */
async function settleDisk(): Promise<void> {
  try {
    await new Deno.Command("sync", { stdout: "null", stderr: "null" }).output();
  } catch {
    // No sync(1) here: the next scenario may share the disk with this one's leftovers.
  }
}
