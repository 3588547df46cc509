/**
 * Test support: runs the server or the client as a real process, types into
 * its standard input and waits for what it prints (never on fixed sleeps).
 *
 * @module
 */

/** How to start a program: `deno run … server.js`, or a compiled `./server`. */
export interface Launcher {
  command: string;
  args: string[];
}

/** Options for {@linkcode ProgramProcess.start}. */
export interface StartOptions {
  /** Working folder of the process. */
  cwd: string;
  /** Name used in failure messages, e.g. `server` or `Cool`. */
  label: string;
}

interface Waiter {
  pattern: string | RegExp;
  resolve: (match: RegExpExecArray) => void;
  reject: (error: Error) => void;
}

/**
 * A running program with its transcript. {@linkcode waitFor} consumes the
 * transcript in order: each call looks only after the previous match.
 */
export class ProgramProcess implements AsyncDisposable {
  readonly label: string;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stdout = "";
  #stderr = "";
  #cursor = 0;
  #waiters: Waiter[] = [];
  #pumps: Promise<void>;
  #status: Promise<Deno.CommandStatus>;
  #exited = false;
  #inputClosed = false;

  private constructor(child: Deno.ChildProcess, label: string) {
    this.label = label;
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#pumps = Promise.all([
      this.#pump(child.stdout, (text) => this.#stdout += text),
      this.#pump(child.stderr, (text) => this.#stderr += text),
    ]).then(() => {});
    this.#status = child.status.then(async (status) => {
      await this.#pumps;
      this.#exited = true;
      this.#check();
      return status;
    });
  }

  /** Starts `launcher` with extra `args`, standard input and output piped. */
  static start(launcher: Launcher, args: string[], options: StartOptions): ProgramProcess {
    const child = new Deno.Command(launcher.command, {
      args: [...launcher.args, ...args],
      cwd: options.cwd,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new ProgramProcess(child, options.label);
  }

  /** Everything printed on standard output so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything printed on standard error so far. */
  get stderr(): string {
    return this.#stderr;
  }

  async #pump(stream: ReadableStream<Uint8Array>, append: (text: string) => void): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      append(text);
      this.#check();
    }
  }

  #find(pattern: string | RegExp): RegExpExecArray | null {
    const source = pattern instanceof RegExp ? pattern.source : RegExp.escape(pattern);
    const flags = pattern instanceof RegExp ? pattern.flags.replace("g", "") : "";
    const regex = new RegExp(source, flags + "g");
    regex.lastIndex = this.#cursor;
    const match = regex.exec(this.#stdout);
    if (match) this.#cursor = match.index + match[0].length;
    return match;
  }

  #check(): void {
    for (const waiter of [...this.#waiters]) {
      const match = this.#find(waiter.pattern);
      if (match) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      } else if (this.#exited) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
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
   * Waits until the program prints `pattern` after the previous match, and
   * returns the match. Fails, with the transcript, on timeout or exit.
   */
  waitFor(pattern: string | RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    const { promise, resolve, reject } = Promise.withResolvers<RegExpExecArray>();
    const timer = setTimeout(() => {
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      reject(this.#failure(`did not print ${String(pattern)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const waiter: Waiter = {
      pattern,
      resolve: (match) => {
        clearTimeout(timer);
        resolve(match);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    };
    this.#waiters.push(waiter);
    this.#check();
    return promise;
  }

  /** Types a line (with `eol`, `\n` unless told otherwise). */
  async type(line: string, eol = "\n"): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + eol));
  }

  /** Closes standard input, as Ctrl-D or the end of a piped file would. */
  async closeInput(): Promise<void> {
    if (this.#inputClosed) return;
    this.#inputClosed = true;
    await this.#stdin.close().catch(() => {/* the program has already exited */});
  }

  /** Sends a signal (`SIGINT` is what Ctrl-C sends). */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Closes standard input and waits for the program to exit. */
  async exit(): Promise<Deno.CommandStatus> {
    await this.closeInput();
    return await this.#status;
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

  /** Kills the program if it is still running, and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* it exited meanwhile */ }
    }
    await this.exit();
  }
}
