/**
 * The free space in a folder. Deno has no `statfs`, so this asks `df -Pk`
 * (POSIX output, 1024-byte blocks) — only when the program may run it. The
 * terminal client is not given `--allow-run`, and then the space is not
 * checked: a full disk still fails the download cleanly (the partial file
 * is removed and the user told), it just fails late rather than early.
 *
 * @module
 */

/**
 * The bytes free in `dir`'s file system, or `null` if that cannot be told
 * (no permission to run `df`, no `df`, output not understood).
 */
export async function freeSpace(dir: string): Promise<number | null> {
  if (Deno.build.os === "windows") return null;
  const permission = await Deno.permissions.query({ name: "run", command: "df" });
  if (permission.state !== "granted") return null;
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("df", {
      args: ["-Pk", dir],
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null; // no df on this system
    throw error;
  }
  if (!output.success) return null;
  return availableBytes(new TextDecoder().decode(output.stdout));
}

/**
 * The "Available" column of `df -P -k` output (its second line), in bytes,
 * or `null` if the output does not have one.
 */
export function availableBytes(dfOutput: string): number | null {
  const line = dfOutput.trim().split("\n")[1];
  // Filesystem 1024-blocks Used Available Capacity Mounted-on; the name may hold spaces.
  const match = line ? /\s(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s/.exec(line) : null;
  return match ? Number(match[3]) * 1024 : null;
}
