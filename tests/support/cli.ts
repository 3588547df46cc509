/**
 * Runs `server.ts` or `client.ts` as a real subprocess, feeds its stdin and
 * waits on what it prints.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** Permission flags the programs are run with (the same as the deno.json tasks). */
export const PERMISSIONS = {
  server: [
    "--allow-net",
    "--allow-read=downloads,chatroom.db",
    "--allow-write=downloads,chatroom.db",
  ],
  client: ["--allow-net", "--allow-read", "--allow-write=downloads"],
};

/** A running program. */
export class CliProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  #stdout = "";
  #stderr = "";
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #changed = Promise.withResolvers<void>();
  #pumps: Promise<void>[];
  #status?: Deno.CommandStatus;

  constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#writer = child.stdin.getWriter();
    this.#pumps = [
      this.#pump(child.stdout, (t) => this.#stdout += t),
      this.#pump(child.stderr, (t) => this.#stderr += t),
    ];
  }

  /** Starts `deno run <permissions> <script> <args>` in `cwd`. */
  static start(
    program: "server" | "client",
    args: string[],
    options: { cwd: string; extraDenoArgs?: string[] },
  ): CliProcess {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        ...(options.extraDenoArgs ?? PERMISSIONS[program]),
        `${ROOT}${program}.ts`,
        ...args,
      ],
      cwd: options.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    return new CliProcess(child);
  }

  async #pump(stream: ReadableStream<Uint8Array>, add: (text: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      add(decoder.decode(chunk, { stream: true }));
      const changed = this.#changed;
      this.#changed = Promise.withResolvers<void>();
      changed.resolve();
    }
    this.#changed.resolve();
  }

  /** Everything printed on stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything printed on stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Writes a line to stdin. */
  async writeLine(line: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(`${line}\n`));
  }

  /** Closes stdin. */
  async closeStdin(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }

  /**
   * Waits until stdout, from offset `from` on, matches `pattern` (a string
   * must appear, a RegExp must match). Returns the offset just after the match.
   */
  async waitFor(pattern: string | RegExp, from = 0, timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const rest = this.#stdout.slice(from);
      if (typeof pattern === "string") {
        const at = rest.indexOf(pattern);
        if (at >= 0) return from + at + pattern.length;
      } else {
        const m = pattern.exec(rest);
        if (m) return from + m.index + m[0].length;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.#status) {
        throw new Error(
          `Timed out waiting for ${pattern}; stdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#changed.promise,
        this.child.status.then((s) => void (this.#status = s)),
        new Promise((r) => timer = setTimeout(r, left)),
      ]);
      clearTimeout(timer);
    }
  }

  /** Waits for the process to exit and returns its exit code. */
  async exitCode(): Promise<number> {
    const status = await this.child.status;
    await Promise.all(this.#pumps);
    return status.code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStdin();
    try {
      this.child.kill("SIGTERM");
    } catch { /* already exited */ }
    await this.exitCode();
  }
}

/** Replaces every `[HH:MM:SS]` with `[hh:mm:ss]`, for comparing transcripts. */
export function normalizeClock(text: string): string {
  return text.replaceAll(/\[\d\d:\d\d:\d\d\]/g, "[hh:mm:ss]");
}
