/**
 * Recognises the ways `deno compile` fails for want of `denort`, the runtime
 * it copies into every executable, and says so in one line.
 *
 * `deno compile` downloads `denort-<target>.zip` once per Deno version and
 * target (and caches it in `DENO_DIR`). Where that download is impossible,
 * it stops with a long error chain and a backtrace; where `DENORT_BIN` points
 * at a missing file, it says so several lines deep. Both become one line.
 *
 * @module
 */

/** What {@linkcode explainDenortFailure} needs to know about the build. */
export interface DenortContext {
  /** The target that failed, e.g. `aarch64-apple-darwin`. */
  target: string;
  /** The host's own target; `DENORT_BIN` only stands in for this one. */
  host: string;
  /** The Deno version that compiles, e.g. `2.9.6`. */
  version: string;
}

/**
 * Returns one line explaining a failed `deno compile` if it failed because
 * `denort` could not be had, else `null` (some other error the caller should
 * show in full). `stderr` is what `deno compile` printed, without colours.
 *
 * @example
 * ```ts
 * explainDenortFailure(stderr, { target, host: target, version: "2.9.6" });
 * // "cannot download Deno's runtime for x86_64-unknown-linux-gnu from https://… (dns error: …); set DENORT_BIN …"
 * ```
 */
export function explainDenortFailure(stderr: string, context: DenortContext): string | null {
  const { target, host, version } = context;
  const missing = /Could not find denort at '([^']*)'/.exec(stderr);
  if (missing) {
    return `DENORT_BIN is set to ${JSON.stringify(missing[1])}, which cannot be read (${
      lastCause(stderr)
    }); point it at the denort binary of Deno ${version} for ${host}, or unset it`;
  }
  const url = /(https?:\/\/\S+?denort-[\w.-]+?\.zip)/.exec(stderr)?.[1];
  if (!url && !/Setting up base binary/.test(stderr)) return null;
  const where = url ? ` from ${url}` : "";
  const advice = target === host
    ? `set DENORT_BIN to the denort binary of Deno ${version} for ${host}, or compile once on a machine that can download it (it is cached)`
    : `DENORT_BIN only stands in for the host's target (${host}); compile ${target} on a machine that can download it (it is cached)`;
  return `cannot download Deno's runtime (denort) for ${target}${where} (${
    lastCause(stderr)
  }); ${advice}`;
}

/**
 * The innermost cause of a Rust error chain as `deno` prints it:
 * the last `N: text` line under `Caused by:` (not the backtrace's), else the
 * first `error:` line.
 */
export function lastCause(stderr: string): string {
  const chain = stderr.split(/^Stack backtrace:/m)[0];
  const causes = [...chain.matchAll(/^\s*\d+: (.+)$/gm)].map((m) => m[1].trim());
  if (causes.length > 0) return causes[causes.length - 1];
  const error = /^error: (.+)$/m.exec(stderr)?.[1];
  return error?.trim() ?? "no reason given";
}
