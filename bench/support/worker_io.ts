/**
 * The worker side of the bench's control channel: commands arrive as JSON
 * lines on stdin, events leave as JSON lines on stdout. Workers are the
 * load-generating client processes; `bench/main.ts` drives them.
 *
 * @module
 */

/** A command from the bench runner: `cmd` names it, the rest are its arguments. */
export type Command = { cmd: string } & Record<string, unknown>;

const encoder = new TextEncoder();

/** Sends one event to the bench runner. */
export function emit(type: string, fields: Record<string, unknown> = {}): void {
  const bytes = encoder.encode(JSON.stringify({ type, ...fields }) + "\n");
  let at = 0;
  while (at < bytes.length) at += Deno.stdout.writeSync(bytes.subarray(at));
}

/** The commands on stdin, one per line, until the runner closes it. */
export async function* commands(): AsyncGenerator<Command> {
  let pending = "";
  for await (const text of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    pending += text;
    let newline;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield JSON.parse(line) as Command;
    }
  }
}

/**
 * Runs a worker: each command goes to `handle`, whose result (if any) is
 * emitted as a `done` event. An exception is reported as a `failed` event and
 * ends the worker with exit code 1, so the runner sees why.
 */
export async function runWorker(
  handle: (command: Command) => Promise<Record<string, unknown> | void>,
): Promise<void> {
  try {
    for await (const command of commands()) {
      const result = await handle(command);
      emit("done", { cmd: command.cmd, ...(result ?? {}) });
    }
  } catch (error) {
    emit("failed", {
      error: error instanceof Error ? error.stack ?? error.message : String(error),
    });
    Deno.exit(1);
  }
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
