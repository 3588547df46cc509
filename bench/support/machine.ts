/**
 * What the bench ran on, and how busy the machine was with other work
 * while it ran (the cores are shared, so that is part of every figure).
 *
 * @module
 */

/** The machine, for the report. */
export interface Machine {
  cores: number;
  cpu: string;
  memory_gib: number;
  os: string;
  kernel: string;
  deno: string;
  v8: string;
}

/** Describes this machine from `/proc` and `Deno.version`. */
export function describeMachine(): Machine {
  const cpuinfo = readOr("/proc/cpuinfo");
  const meminfo = readOr("/proc/meminfo");
  return {
    cores: navigator.hardwareConcurrency,
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    memory_gib: Math.round(Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0) / 1024 / 1024),
    os: `${Deno.build.os} ${Deno.build.arch}`,
    kernel: readOr("/proc/sys/kernel/osrelease").trim() || "unknown",
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** Clock ticks per second in `/proc` (USER_HZ, 100 on Linux). */
const TICKS = 100;

/**
 * CPU time of a process, in milliseconds, from `/proc/PID/stat`: user +
 * system, plus those of its children it has reaped if `children` is set.
 */
export function processCpuMs(pid: number | "self", children = false): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields 14–17 of stat(5) (utime, stime, cutime, cstime), counted from after the name.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  const ticks = fields[11] + fields[12] + (children ? fields[13] + fields[14] : 0);
  return (ticks * 1000) / TICKS;
}

/** The CPU time of processes `pids` together, in milliseconds (see {@linkcode processCpuMs}). */
export function processesCpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
}

interface CpuSample {
  at: number;
  /** Milliseconds all cores spent busy. */
  busy: number;
  /** Milliseconds this process and its reaped children (server, workers) used. */
  ours: number;
}

function sampleCpu(): CpuSample {
  const [, ...fields] = readOr("/proc/stat").split("\n")[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
  const busy = fields.slice(0, 8).reduce((a, b) => a + b, 0) - fields[3] - fields[4];
  return { at: performance.now(), busy: (busy * 1000) / TICKS, ours: processCpuMs("self", true) };
}

/**
 * Measures how many cores, on average, processes other than the bench and
 * its children kept busy between `start()` and `stop()`. Children count
 * once they have exited (the kernel adds them to ours when reaped).
 */
export class OtherLoad {
  #start = sampleCpu();

  /** Average cores used by other processes since construction. */
  stop(): number {
    const end = sampleCpu();
    const seconds = (end.at - this.#start.at) / 1000;
    const other = (end.busy - this.#start.busy) - (end.ours - this.#start.ours);
    return Math.max(0, other / 1000 / seconds);
  }
}
