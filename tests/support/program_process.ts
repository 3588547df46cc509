/**
 * Test support: runs a program (`server.ts`, `client.ts`, a bundle or a
 * compiled binary) as a real subprocess, types into its standard input and
 * waits on what it prints — on output events, never on fixed sleeps. A wait
 * fails at once, with the end of the transcript, if the program exits first.
 *
 * @example
 * ```ts
 * await using server = ProgramProcess.start(denoLauncher("server"), ["--port", "0"], { cwd });
 * const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";

// Not URL.pathname: on Windows that is /C:/…, which is no path there.
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Permission flags the programs are run with (the same as the deno.json tasks). */
export const PERMISSIONS = {
  server: [
    "--allow-net",
    "--allow-read=downloads,chatroom.db,chatroom.db-wal,history-archive",
    "--allow-write=downloads,chatroom.db,history-archive",
  ],
  client: ["--allow-net", "--allow-read", "--allow-write=downloads"],
  gui: ["--allow-net", "--allow-read", "--allow-write=downloads", "--allow-run"],
} as const;

/** How to start a program: `deno run … server.ts`, a bundle, or a compiled `./server`. */
export interface Launcher {
  command: string;
  args: readonly string[];
  /** Name used in failure messages, e.g. `server`. @default the command's file name */
  name?: string;
}

/** A launcher for the source `server.ts` or `client.ts`, run by this `deno` with `permissions`. */
export function denoLauncher(
  program: "server" | "client",
  permissions: readonly string[] = PERMISSIONS[program],
): Launcher {
  return {
    command: Deno.execPath(),
    args: ["run", "--quiet", "--no-prompt", ...permissions, `${ROOT}${program}.ts`],
    name: program,
  };
}

/** Options for {@linkcode ProgramProcess.start}. */
export interface StartOptions {
  /** Working folder of the process. */
  cwd: string;
  /** Name used in failure messages, e.g. `server` or `Cool`. @default the launcher's name */
  label?: string;
}

/** Options for {@linkcode ProgramProcess.waitFor}. */
export interface WaitOptions {
  /** Offset in stdout to search from (see {@linkcode ProgramProcess.mark}). @default the end of the previous match */
  from?: number;
  /** How long to wait before failing. @default 20_000 */
  timeoutMs?: number;
}

interface Waiter {
  pattern: string | RegExp;
  regex: RegExp;
  from: number;
  resolve: (match: RegExpExecArray) => void;
  reject: (error: Error) => void;
}

/**
 * A running program with its transcript: stdout, stderr and both
 * interleaved as they came. Dispose it (`await using`) to kill it if it still
 * runs and wait for it, so no resource outlives the test.
 */
export class ProgramProcess implements AsyncDisposable {
  readonly label: string;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stdout = "";
  #stderr = "";
  #output = "";
  #cursor = 0;
  #waiters: Waiter[] = [];
  #status: Promise<Deno.CommandStatus>;
  #exited = false;
  #inputClosed = false;

  private constructor(child: Deno.ChildProcess, label: string) {
    this.label = label;
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    const pumps = Promise.all([
      this.#pump(child.stdout, (text) => this.#stdout += text),
      this.#pump(child.stderr, (text) => this.#stderr += text),
    ]);
    // Exited means exited with its output read to the end, so a failed wait sees it all.
    this.#status = Promise.all([child.status, pumps]).then(([status]) => {
      this.#exited = true;
      this.#check();
      return status;
    });
  }

  /** Starts `launcher` with extra `args`, its standard streams piped, `NO_COLOR` set. */
  static start(launcher: Launcher, args: readonly string[], options: StartOptions): ProgramProcess {
    const child = new Deno.Command(launcher.command, {
      args: [...launcher.args, ...args],
      cwd: options.cwd,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const label = options.label ?? launcher.name ?? launcher.command.split(/[\\/]/).pop()!;
    return new ProgramProcess(child, label);
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Everything printed on standard output so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything printed on standard error so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Everything printed so far, stdout and stderr interleaved as they came. */
  get output(): string {
    return this.#output;
  }

  /** Offset of the end of stdout so far, to wait only for what comes later. */
  mark(): number {
    return this.#stdout.length;
  }

  async #pump(stream: ReadableStream<Uint8Array>, append: (text: string) => void): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      append(text);
      this.#output += text;
      this.#check();
    }
  }

  #find(waiter: Waiter): RegExpExecArray | null {
    waiter.regex.lastIndex = waiter.from;
    return waiter.regex.exec(this.#stdout);
  }

  #check(): void {
    for (const waiter of [...this.#waiters]) {
      const match = this.#find(waiter);
      if (match) {
        this.#cursor = match.index + match[0].length;
        waiter.resolve(match);
      } else if (this.#exited) {
        waiter.reject(this.#failure(`exited before printing ${String(waiter.pattern)}`));
      }
    }
  }

  #failure(what: string): Error {
    const tail = (text: string) => text.slice(-2000);
    return new Error(
      `${this.label} ${what}.\n--- stdout (end) ---\n${tail(this.#stdout)}\n--- stderr (end) ---\n${
        tail(this.#stderr)
      }`,
    );
  }

  /**
   * Waits until stdout matches `pattern` (a string must appear, a RegExp
   * match) after the previous match, or from `options.from`; returns the
   * match, its `index` an offset in {@linkcode stdout}, and moves the cursor
   * past it. Fails, with the transcript, on timeout or exit.
   */
  waitFor(pattern: string | RegExp, options: WaitOptions = {}): Promise<RegExpExecArray> {
    const { from = this.#cursor, timeoutMs = 20_000 } = options;
    const source = typeof pattern === "string" ? RegExp.escape(pattern) : pattern.source;
    const flags = typeof pattern === "string" ? "" : pattern.flags.replace(/[gy]/g, "");
    const { promise, resolve, reject } = Promise.withResolvers<RegExpExecArray>();
    const settle = (done: () => void) => {
      clearTimeout(timer);
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      done();
    };
    const waiter: Waiter = {
      pattern,
      regex: new RegExp(source, flags + "g"),
      from,
      resolve: (match) => settle(() => resolve(match)),
      reject: (error) => settle(() => reject(error)),
    };
    const timer = setTimeout(
      () => waiter.reject(this.#failure(`did not print ${String(pattern)} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    this.#waiters.push(waiter);
    this.#check();
    return promise;
  }

  /** Types a line (with `eol`: `\r\n` is what Windows pipes send). */
  async type(line: string, eol = "\n"): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + eol));
  }

  /** Closes standard input, as Ctrl-D or the end of a piped file would. */
  async closeInput(): Promise<void> {
    if (this.#inputClosed) return;
    this.#inputClosed = true;
    await this.#stdin.close().catch(() => {/* the program has already exited */});
  }

  /** Sends a signal (`SIGINT` is what Ctrl-C sends); throws if the program has exited. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /**
   * Waits for the program to exit by itself, input left open (closing it
   * would race with, say, a signal), then closes the input.
   */
  async exited(): Promise<Deno.CommandStatus> {
    const status = await this.#status;
    await this.closeInput();
    return status;
  }

  /** Closes standard input and waits for the program to exit. */
  async exit(): Promise<Deno.CommandStatus> {
    await this.closeInput();
    return await this.#status;
  }

  /** Closes standard input, sends `signal` unless the program has exited, and waits for it. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    await this.closeInput();
    if (!this.#exited) {
      try {
        this.#child.kill(signal);
      } catch (error) {
        if (!(error instanceof TypeError)) throw error; // TypeError: it exited meanwhile
      }
    }
    return await this.#status;
  }

  /** Kills the program if it still runs, and waits for it and its output. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop("SIGKILL");
  }
}
