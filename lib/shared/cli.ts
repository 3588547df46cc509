/**
 * Helpers shared by the two entry points for reading command-line values.
 *
 * @module
 */

/** A command-line mistake: printed as one line plus usage, exit code 2. */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const SUFFIX: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses a non-negative whole number, with an optional K/M/G (binary)
 * suffix, e.g. `18000`, `100M`.
 *
 * @throws {UsageError} naming the flag and the value.
 */
export function parseCount(
  flag: string,
  value: string,
  options: { min?: number; max?: number } = {},
): number {
  const match = /^(\d+)([kmg]?)i?b?$/i.exec(value.trim());
  const n = match ? Number(match[1]) * SUFFIX[match[2].toLowerCase()] : NaN;
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** True for a {@linkcode UsageError} or an unknown or malformed flag reported by `parseArgs`. */
export function isUsageError(error: unknown): error is Error {
  return error instanceof UsageError ||
    (error instanceof TypeError && "code" in error &&
      String(error.code).startsWith("ERR_PARSE_ARGS"));
}

/**
 * Runs a program's `main` and turns its failures into exit codes: a usage
 * error prints one line plus `usage` and exits 2; an error that `explain`
 * describes prints that one line and exits 1; anything else is a bug and
 * crashes loudly with its stack trace.
 *
 * This is entry-point glue: the one place in `lib/` that writes to the
 * console and exits.
 */
export async function runMain(
  program: string,
  usage: string,
  main: (args: string[]) => Promise<number>,
  explain: (error: unknown) => string | undefined = () => undefined,
): Promise<never> {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    if (isUsageError(error)) {
      console.error(`${program}: ${error.message}\n\n${usage}`);
      Deno.exit(2);
    }
    const line = explain(error);
    if (line === undefined) throw error;
    console.error(`${program}: ${line}`);
    Deno.exit(1);
  }
}

const TIME_UNIT: Record<string, number> = { ms: 1, s: 1000, "": 1000, m: 60_000 };

/**
 * Parses a duration into milliseconds: seconds by default, or with a unit,
 * e.g. `30`, `30s`, `500ms`, `2m`.
 *
 * @throws {UsageError} naming the flag and the value.
 */
export function parseDuration(flag: string, value: string, options: { min?: number } = {}): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/i.exec(value.trim());
  const ms = match ? Math.round(Number(match[1]) * TIME_UNIT[(match[2] ?? "").toLowerCase()]) : NaN;
  const min = options.min ?? 1;
  if (!Number.isSafeInteger(ms) || ms < min) {
    throw new UsageError(
      `${flag} must be a duration of at least ${min} ms, like 30, 30s, 500ms or 2m, got ${
        JSON.stringify(value)
      }`,
    );
  }
  return ms;
}
