/**
 * Start-up check that a folder given on the command line is one the
 * program's permissions let it write in.
 *
 * @module
 */

/** Options for {@linkcode checkWritable}. */
export interface CheckWritableOptions {
  /** The flag that named the folder, for the message. @default "--downloads" */
  flag?: string;
  /** The permission state for writing `path`. @default Deno.permissions.querySync */
  query?: (path: string) => Deno.PermissionState;
}

/**
 * Null if the program may write in `dir`, else one line naming the flag, the
 * folder and the permission to add. Deno grants `--allow-write=downloads`
 * for that folder only, so `--downloads elsewhere` would otherwise fail at
 * the first attachment, long after start-up, or stop at a permission prompt.
 *
 * @example
 * ```ts
 * const problem = checkWritable(values.downloads, { flag: "--downloads" });
 * if (problem) throw new Error(problem);
 * ```
 */
export function checkWritable(dir: string, options: CheckWritableOptions = {}): string | null {
  const flag = options.flag ?? "--downloads";
  const query = options.query ??
    ((path: string) => Deno.permissions.querySync({ name: "write", path }).state);
  if (query(dir) === "granted") return null;
  return `Cannot use ${flag} ${dir}: this program may not write there; start it with ` +
    `--allow-write=${dir} added to its deno run flags (e.g. in deno.json's task), or leave ` +
    `${flag} out (a compiled program writes only downloads/ in the folder it runs in)`;
}
