/**
 * The arguments a program gets through `deno task NAME -- ARGS`.
 *
 * @module
 */

/**
 * `args` without the first bare `--`. `deno task gui -- --no-open` passes
 * `["--gui", "--", "--no-open"]` (the task's own arguments, then `--`, then
 * the user's), and `parseArgs` would take everything after `--` as a
 * positional argument. Neither program takes positionals, so the separator
 * means nothing to them and is dropped; `deno task gui --no-open` is
 * unchanged.
 *
 * @example
 * ```ts
 * withoutTaskSeparator(["--gui", "--", "--no-open"]); // ["--gui", "--no-open"]
 * ```
 */
export function withoutTaskSeparator(args: readonly string[]): string[] {
  const at = args.indexOf("--");
  return at === -1 ? [...args] : [...args.slice(0, at), ...args.slice(at + 1)];
}
