/**
 * The figures of a bench run: what each means, its target, the reference
 * servers' figure, and the readable table.
 *
 * @module
 */
import type { Machine } from "./support/machine.ts";

/** One figure of the report. */
export interface FigureSpec {
  name: string;
  unit: string;
  /** Digits after the decimal point in the table. */
  digits: number;
  /** The target, if it sets one. */
  target?: { op: ">=" | "<="; value: number };
  /** The reference servers' figure (inspircd 3.15, ngircd 26), if the issue gives one. */
  reference?: string;
  /** Measured only in runs with this flag (`--peers`): absent from others. */
  onlyWith?: "peers";
}

/** The figures of one peer server variant (`peers_<name>[_nodelay]_…`). */
function peerFigures(name: string, reference: { p99: string; deliveries: string }): FigureSpec[] {
  const peers = "peers" as const;
  return [
    { name: `peers_${name}_p50_ms`, unit: "ms", digits: 2, onlyWith: peers },
    {
      name: `peers_${name}_p99_ms`,
      unit: "ms",
      digits: 2,
      onlyWith: peers,
      reference: reference.p99,
    },
    { name: `peers_${name}_max_ms`, unit: "ms", digits: 1, onlyWith: peers },
    {
      name: `peers_${name}_deliveries_s`,
      unit: "/s",
      digits: 0,
      onlyWith: peers,
      reference: reference.deliveries,
    },
    { name: `peers_${name}_lost`, unit: "", digits: 0, onlyWith: peers },
  ];
}

/** Every figure, in table order. */
export const FIGURES: FigureSpec[] = [
  { name: "startup_ms", unit: "ms", digits: 0 },
  { name: "raw_mb_s", unit: "MB/s", digits: 0 },
  { name: "sha256_mb_s", unit: "MB/s", digits: 0 },
  { name: "sha256_ratio", unit: "× raw", digits: 3 },
  { name: "hashed_mb_s", unit: "MB/s", digits: 0 },
  { name: "hashed_ratio", unit: "× raw", digits: 3 },
  { name: "hashed_cpu_ns_per_byte", unit: "ns/B", digits: 2 },
  { name: "forward_mb_s", unit: "MB/s", digits: 0 },
  { name: "forward_ratio", unit: "× raw", digits: 3 },
  { name: "forward_hashed_mb_s", unit: "MB/s", digits: 0 },
  { name: "forward_hashed_ratio", unit: "× raw", digits: 3 },
  { name: "forward_stored_mb_s", unit: "MB/s", digits: 0 },
  { name: "forward_stored_ratio", unit: "× raw", digits: 3 },
  { name: "forward_stored_cpu_ns_per_byte", unit: "ns/B", digits: 2 },
  { name: "relay_mb_s", unit: "MB/s", digits: 0 },
  { name: "relay_ratio", unit: "× raw", digits: 3 },
  { name: "relay_vs_hashed", unit: "× hashed", digits: 2, target: { op: ">=", value: 0.7 } },
  { name: "relay3_mb_s", unit: "MB/s", digits: 0 },
  { name: "relay3_ratio", unit: "× raw", digits: 3 },
  { name: "relay3_vs_hashed", unit: "× hashed", digits: 2, target: { op: ">=", value: 0.5 } },
  { name: "relay_warm_mb_s", unit: "MB/s", digits: 0 },
  { name: "relay_warm_vs_hashed", unit: "× hashed", digits: 2 },
  { name: "relay_warm_vs_forward_stored", unit: "× stored", digits: 2 },
  { name: "relay_warm_cpu_ns_per_byte", unit: "ns/B", digits: 2 },
  { name: "relay3_warm_mb_s", unit: "MB/s", digits: 0 },
  { name: "relay3_warm_vs_hashed", unit: "× hashed", digits: 2 },
  { name: "relay3_warm_cpu_ns_per_byte", unit: "ns/B", digits: 2 },
  { name: "relay_first_byte_ms", unit: "ms", digits: 1, target: { op: "<=", value: 20 } },
  { name: "relay_end_after_upload_ms", unit: "ms", digits: 0 },
  { name: "relay_behind_receivers", unit: "", digits: 0 },
  { name: "relay_rss_growth_mib", unit: "MiB", digits: 1, target: { op: "<=", value: 64 } },
  { name: "relay_cpu_ns_per_byte", unit: "ns/B", digits: 2 },
  { name: "relay_cores_busy", unit: "cores", digits: 2 },
  { name: "relay3_cpu_ns_per_byte", unit: "ns/B", digits: 2 },
  { name: "relay3_cores_busy", unit: "cores", digits: 2 },
  { name: "relay_cpu_ceiling_mb_s", unit: "MB/s", digits: 0 },
  { name: "relay_vs_cpu_ceiling", unit: "× ceiling", digits: 2 },
  { name: "relay3_cpu_ceiling_mb_s", unit: "MB/s", digits: 0 },
  { name: "relay3_vs_cpu_ceiling", unit: "× ceiling", digits: 2 },
  { name: "fanout_p50_ms", unit: "ms", digits: 2 },
  {
    name: "fanout_p99_ms",
    unit: "ms",
    digits: 2,
    target: { op: "<=", value: 4 },
    reference: "≈37 as shipped, ≈3 with TCP_NODELAY",
  },
  { name: "fanout_max_ms", unit: "ms", digits: 1 },
  { name: "fanout_deliveries_s", unit: "/s", digits: 0, reference: "≈2,000,000" },
  { name: "fanout_lost", unit: "", digits: 0, target: { op: "<=", value: 0 }, reference: "0" },
  { name: "fanout_bare_p50_ms", unit: "ms", digits: 2 },
  { name: "fanout_bare_p99_ms", unit: "ms", digits: 2 },
  { name: "fanout_bare_deliveries_s", unit: "/s", digits: 0 },
  { name: "fanout_p99_vs_bare", unit: "× bare", digits: 2 },
  { name: "fanout_deliveries_vs_bare", unit: "× bare", digits: 2 },
  ...peerFigures("ngircd", { p99: "≈37 (earlier runs)", deliveries: "" }),
  ...peerFigures("ngircd_nodelay", { p99: "2.2–3.5 (earlier runs)", deliveries: "≈2,000,000" }),
  ...peerFigures("inspircd", { p99: "≈37 (earlier runs)", deliveries: "" }),
  ...peerFigures("inspircd_nodelay", { p99: "3.0–3.6 (earlier runs)", deliveries: "≈2,000,000" }),
  {
    name: "fanout_p99_vs_ngircd_nodelay",
    unit: "× ngircd",
    digits: 2,
    target: { op: "<=", value: 1 },
    onlyWith: "peers",
  },
  {
    name: "fanout_deliveries_vs_inspircd",
    unit: "× inspircd",
    digits: 2,
    target: { op: ">=", value: 1 },
    onlyWith: "peers",
  },
  { name: "peers_ours_idle_rss_per_client_kib", unit: "KiB", digits: 1, onlyWith: "peers" },
  { name: "peers_ngircd_idle_rss_per_client_kib", unit: "KiB", digits: 1, onlyWith: "peers" },
  {
    name: "peers_inspircd_idle_rss_per_client_kib",
    unit: "KiB",
    digits: 1,
    onlyWith: "peers",
    reference: "2–3",
  },
  {
    name: "idle_rss_per_client_kib",
    unit: "KiB",
    digits: 1,
    target: { op: "<=", value: 16 },
    reference: "2–3",
  },
  {
    name: "idle_rss_per_client_after_joins_kib",
    unit: "KiB",
    digits: 1,
    target: { op: "<=", value: 32 },
  },
  { name: "idle_rss_mib", unit: "MiB", digits: 0 },
  { name: "idle_join_s", unit: "s", digits: 1 },
  { name: "idle_wait_s", unit: "s", digits: 1 },
  { name: "join_100k_ms", unit: "ms", digits: 0, target: { op: "<=", value: 300 } },
  { name: "join_100k_first_ms", unit: "ms", digits: 0 },
  { name: "history_fill_ms", unit: "ms", digits: 0 },
  { name: "join_server_cpu_ms", unit: "ms", digits: 0 },
  { name: "join_client_cpu_ms", unit: "ms", digits: 0 },
];

/** Whether a figure meets its target; undefined when it has none. */
export function meetsTarget(spec: FigureSpec, value: number): boolean | undefined {
  if (!spec.target) return undefined;
  return spec.target.op === ">=" ? value >= spec.target.value : value <= spec.target.value;
}

/** What the report says besides the figures. */
export interface ReportContext {
  machine: Machine;
  quick: boolean;
  totalS: number;
  /** Average cores other processes kept busy during each scenario. */
  otherLoad: Record<string, number>;
}

/** The readable table. */
export function renderTable(figures: Record<string, number>, context: ReportContext): string {
  const m = context.machine;
  const rows = FIGURES.filter((spec) => spec.name in figures).map((spec) => {
    const value = figures[spec.name];
    const met = meetsTarget(spec, value);
    return [
      spec.name,
      `${formatNumber(value, spec.digits)} ${spec.unit}`.trim(),
      spec.target ? `${spec.target.op === ">=" ? "≥" : "≤"} ${spec.target.value}` : "",
      met === undefined ? "" : context.quick ? "(quick)" : met ? "met" : "MISSED",
      spec.reference ?? "",
    ];
  });
  const header = ["figure", "value", "target", "", "inspircd / ngircd"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i])).join(" | ")} |`;
  const load = Object.entries(context.otherLoad)
    .map(([name, cores]) => `${name} ${cores.toFixed(2)}`)
    .join(", ");
  return [
    `chatroom bench${context.quick ? " (--quick: scaled-down sizes, figures not comparable)" : ""}`,
    `machine: ${m.cores} cores (${m.cpu}), ${m.memory_gib} GiB, ${m.os}, Linux ${m.kernel}; Deno ${m.deno}, V8 ${m.v8}`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `other processes' load during each scenario (cores): ${load}`,
    `total ${context.totalS.toFixed(0)} s`,
  ].join("\n");
}

function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
