/**
 * Runs a `deno` subcommand with the same `deno` that runs the build, and
 * collects what it printed, without colours.
 *
 * @module
 */
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the folder that holds `deno.json`). */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/** A build step failed; the message names the step and the value involved. */
export class BuildError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "BuildError";
  }
}

/** What a finished `deno` subcommand printed, and its exit code. */
export interface DenoResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@linkcode runDeno}. */
export interface RunDenoOptions {
  /** Working folder. @default {@linkcode ROOT} */
  cwd?: string;
  /** Environment variables to remove for this command (e.g. `DENORT_BIN`). @default [] */
  unset?: string[];
}

/**
 * Runs `deno <args>` and waits for it. Output is collected, not shown, so the
 * caller decides what the user sees.
 */
export async function runDeno(args: string[], options: RunDenoOptions = {}): Promise<DenoResult> {
  const unset = options.unset ?? [];
  const env: Record<string, string> = unset.length > 0 ? Deno.env.toObject() : {};
  for (const name of unset) delete env[name];
  env.NO_COLOR = "1";
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd ?? ROOT,
    env,
    clearEnv: unset.length > 0,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: stripAnsi(decoder.decode(output.stdout)),
    stderr: stripAnsi(decoder.decode(output.stderr)),
  };
}

/** Removes ANSI colour and style sequences (in case `NO_COLOR` was ignored). */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** `path` relative to the working folder when it lies inside it, else as it is. */
export function displayPath(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}
