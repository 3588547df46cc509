/**
 * The chat server as the bench runs it: `server.ts` in its own Deno process,
 * on 127.0.0.1 and a free port, in a temporary folder, with its memory read
 * from `/proc`.
 *
 * @module
 */

import { denoFlagsFromEnv } from "./worker_process.ts";
import { processCpuMs } from "./machine.ts";

const SERVER_TS = new URL("../../server.ts", import.meta.url).pathname;
const LISTENING = /Server listening on [^\s]+:(\d+)/;
/** How often the log is checked for the "listening" line while the server starts. */
const POLL_MS = 1;

/** Options for {@linkcode ServerProcess.start}. */
export interface ServerProcessOptions {
  /** `--max-users`. @default 3 */
  maxUsers?: number;
  /** `--max-attachment`, in bytes. @default the server's own default */
  maxAttachment?: number;
  /** More command-line flags for `server.ts`. @default [] */
  args?: string[];
  /** Milliseconds to wait for the server to listen. @default 30000 */
  timeoutMs?: number;
  /**
   * Another program to run in the server's place, with the same flags
   * (e.g. the fan-out baseline `bench/workers/bare_relay.ts`). @default server.ts
   */
  script?: string;
}

/** A running `server.ts` process. */
export class ServerProcess implements AsyncDisposable {
  /** The port it listens on. */
  readonly port: number;
  /** Milliseconds from spawning the process to its "listening" line on stdout. */
  readonly startupMs: number;
  /** Its temporary folder (attachments land in `downloads/` inside). */
  readonly dir: string;
  #child: Deno.ChildProcess;
  #draining: Promise<void>;
  #stderr: string[];
  #stopping?: Promise<void>;

  private constructor(
    child: Deno.ChildProcess,
    fields: { port: number; startupMs: number; dir: string; stderr: string[] },
    draining: Promise<void>,
  ) {
    this.#child = child;
    this.#stderr = fields.stderr;
    this.port = fields.port;
    this.startupMs = fields.startupMs;
    this.dir = fields.dir;
    this.#draining = draining;
  }

  /**
   * Spawns `server.ts` and resolves once its log says it is listening. Its
   * stdout goes to `server.log` in its folder, as a service's would: read
   * through a pipe, the bench runner (sharing the cores) could not always
   * drain it in time, and the server's synchronous log writes would stall.
   */
  static async start(options: ServerProcessOptions = {}): Promise<ServerProcess> {
    const dir = await Deno.makeTempDir({ prefix: "chatroom-bench-" });
    const log = `${dir}/server.log`;
    const args = [
      "-c",
      'exec "$0" "$@" >"$SERVER_LOG"',
      Deno.execPath(),
      "run",
      ...denoFlagsFromEnv("BENCH_SERVER_DENO_FLAGS"),
      "--allow-net=127.0.0.1",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      options.script ?? SERVER_TS,
      "--host=127.0.0.1",
      "--port=0",
      `--data-dir=${dir}`,
      // Measure the server, not its guards: no read pacing, room for every load client, and no
      // write timeout for load clients that fall behind while 10,000 joins are announced.
      "--no-rate-limit",
      "--max-connections=20000",
      "--stall-timeout=10m",
      `--max-users=${options.maxUsers ?? 3}`,
      ...(options.maxAttachment ? [`--max-attachment=${options.maxAttachment}`] : []),
      ...(options.args ?? []),
    ];
    const started = performance.now();
    // `exec` keeps the shell's process id, so /proc/PID is the server's own.
    const child = new Deno.Command("/bin/sh", {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { DENO_NO_UPDATE_CHECK: "1", SERVER_LOG: log },
    }).spawn();
    const stderr: string[] = [];
    const draining = drainLines(child.stderr, stderr);
    let exited = false;
    child.status.then(() => exited = true);
    const timeoutMs = options.timeoutMs ?? 30_000;
    try {
      while (true) {
        const match = LISTENING.exec(await readIfExists(log));
        if (match) {
          const startupMs = performance.now() - started;
          const fields = { port: Number(match[1]), startupMs, dir, stderr };
          return new ServerProcess(child, fields, draining);
        }
        if (exited) throw new Error(`server.ts exited:\n${stderr.join("\n")}`);
        if (performance.now() - started > timeoutMs) {
          throw new Error(`server.ts did not listen within ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch (error) {
      if (!exited) child.kill("SIGKILL");
      await child.status;
      await draining;
      await Deno.remove(dir, { recursive: true });
      throw error;
    }
  }

  /** The server's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Resident memory now, in KiB (`VmRSS`). */
  rssKib(): number {
    return procStatusKib(this.pid, "VmRSS");
  }

  /** Peak resident memory since start or the last {@linkcode resetPeak}, in KiB (`VmHWM`). */
  peakRssKib(): number {
    return procStatusKib(this.pid, "VmHWM");
  }

  /** Resets `VmHWM` to the current RSS (Linux ≥ 4.0); false if the kernel refused. */
  resetPeak(): boolean {
    try {
      Deno.writeTextFileSync(`/proc/${this.pid}/clear_refs`, "5");
      return true;
    } catch {
      return false;
    }
  }

  /** CPU time (user + system) the server has used, in milliseconds. */
  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  /**
   * Stops the server with SIGTERM (SIGKILL after `graceMs`) and removes its
   * folder. Throws, with the end of its log, if it had crashed or did not
   * shut down cleanly.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping ??= this.#stop("SIGTERM", graceMs);
    await this.#stopping;
  }

  /**
   * Kills the server at once (SIGKILL) and removes its folder: for when its
   * orderly shutdown would be a scenario of its own, e.g. 10,000 users
   * each announced as leaving to all the others.
   */
  async kill(): Promise<void> {
    this.#stopping ??= this.#stop("SIGKILL", 0);
    await this.#stopping;
  }

  async #stop(signal: "SIGTERM" | "SIGKILL", graceMs: number): Promise<void> {
    try {
      this.#child.kill(signal);
    } catch { /* it already exited */ }
    const timer = signal === "SIGKILL" ? undefined : setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* it exited in the meantime */ }
    }, graceMs);
    const status = await this.#child.status;
    clearTimeout(timer);
    await this.#draining;
    // Ended by the signal we sent is fine (SIGTERM that came before the
    // server installed its handler, right after it started, included);
    // anything else is a crash, or a shutdown that outlasted the grace.
    const failed = !status.success && status.signal !== signal;
    const log = failed ? await readIfExists(`${this.dir}/server.log`) : "";
    await Deno.remove(this.dir, { recursive: true });
    if (failed) {
      const tail = [...log.trimEnd().split("\n").slice(-20), ...this.#stderr].join("\n");
      throw new Error(
        `server.ts ended with ${
          status.signal ?? `exit code ${status.code}`
        }; its last words:\n${tail}`,
      );
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Reads a process's output, keeping the last 40 lines. */
async function drainLines(stream: ReadableStream<Uint8Array>, keep: string[]): Promise<void> {
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    keep.push(...text.split("\n"));
    keep.splice(0, keep.length - 40);
  }
}

/** The text of a file, or "" if it does not exist yet. */
async function readIfExists(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}

/** A `kB` field of `/proc/PID/status`, in KiB. */
export function procStatusKib(pid: number, field: string): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!match) throw new Error(`Cannot read ${field} of process ${pid}: not in /proc/${pid}/status`);
  return Number(match[1]);
}
