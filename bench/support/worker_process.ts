/**
 * The runner side of the bench's control channel: spawns a worker script as
 * its own Deno process, sends it commands, waits for its events.
 *
 * @module
 */

/** An event a worker emitted: `type` names it, the rest are its fields. */
export type WorkerEvent = { type: string } & Record<string, unknown>;

/**
 * Extra `deno run` flags from an environment variable, e.g.
 * `BENCH_WORKER_DENO_FLAGS="--cpu-prof --cpu-prof-dir=prof"` to profile the
 * load generators, or `BENCH_SERVER_DENO_FLAGS` for the server.
 */
export function denoFlagsFromEnv(name: string): string[] {
  const flags = Deno.env.get(name)?.trim();
  return flags ? flags.split(/\s+/) : [];
}

/** Permissions every worker gets: loopback only, files for attachments. */
const WORKER_FLAGS = ["--allow-net=127.0.0.1", "--allow-read", "--allow-write", "--allow-env"];

/** A load-generating client process. */
export class WorkerProcess implements AsyncDisposable {
  readonly name: string;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #events: WorkerEvent[] = [];
  #waiters: (() => void)[] = [];
  #exited = false;
  #stderr = "";
  #reading: Promise<void>;

  private constructor(name: string, child: Deno.ChildProcess) {
    this.name = name;
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#reading = Promise.all([this.#readEvents(), this.#readStderr()]).then(() => {});
    child.status.then(() => {
      this.#exited = true;
      this.#wake();
    });
  }

  /** Starts `bench/workers/<script>` with `args`. */
  static spawn(script: string, args: string[] = []): WorkerProcess {
    const path = new URL(`../workers/${script}`, import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...denoFlagsFromEnv("BENCH_WORKER_DENO_FLAGS"), ...WORKER_FLAGS, path, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { DENO_NO_UPDATE_CHECK: "1" },
    }).spawn();
    return new WorkerProcess(`${script} ${args.join(" ")}`.trim(), child);
  }

  /** The worker's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  async #readEvents(): Promise<void> {
    let pending = "";
    for await (const text of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += text;
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim()) this.#events.push(JSON.parse(line));
      }
      this.#wake();
    }
  }

  async #readStderr(): Promise<void> {
    for await (const text of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
      this.#stderr = (this.#stderr + text).slice(-8000);
    }
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Sends a command. */
  async send(cmd: string, fields: Record<string, unknown> = {}): Promise<void> {
    const line = JSON.stringify({ cmd, ...fields }) + "\n";
    await this.#stdin.write(new TextEncoder().encode(line));
  }

  /**
   * Waits for the next event of `type` (earlier events of other types are
   * dropped). Throws with the worker's stderr if it failed, exited or took
   * longer than `timeoutMs`.
   */
  async next(type: string, timeoutMs = 60_000): Promise<WorkerEvent> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      while (this.#events.length > 0) {
        const event = this.#events.shift()!;
        if (event.type === type) return event;
        if (event.type === "failed") {
          throw new Error(`Worker ${this.name} failed: ${event.error}`);
        }
      }
      if (this.#exited) {
        await this.#reading;
        if (this.#events.length > 0) continue;
        throw new Error(
          `Worker ${this.name} exited while the bench waited for "${type}":\n${this.#stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Worker ${this.name} sent no "${type}" within ${timeoutMs} ms:\n${this.#stderr}`,
        );
      }
      const woken = Promise.withResolvers<void>();
      this.#waiters.push(woken.resolve);
      const timer = setTimeout(woken.resolve, left);
      await woken.promise;
      clearTimeout(timer);
    }
  }

  /** Sends a command and waits for its `done` event. */
  async call(cmd: string, fields: Record<string, unknown> = {}, timeoutMs?: number) {
    await this.send(cmd, fields);
    return await this.next("done", timeoutMs);
  }

  /** Closes stdin (the worker's cue to exit) and waits; kills it after `graceMs`. */
  async close(graceMs = 5_000): Promise<void> {
    if (!this.#exited) {
      await this.#stdin.close().catch(() => {/* the worker already exited */});
      const timer = setTimeout(() => {
        if (!this.#exited) this.#child.kill("SIGKILL");
      }, graceMs);
      await this.#child.status;
      clearTimeout(timer);
    }
    await this.#reading;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
