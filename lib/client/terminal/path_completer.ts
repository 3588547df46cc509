/**
 * Tab completion of file paths, for the terminal's file prompt.
 *
 * @module
 */
import type { Completer } from "./line_console.ts";

/** Most names listed from one folder. */
const MAX_ENTRIES = 1000;

/**
 * Completes the path being typed (the text before the cursor, from its
 * start): the names in its folder that start with its last part, folders
 * with a trailing `/`. A folder that cannot be read completes nothing.
 *
 * @example
 * ```ts
 * await completePath("attachments/co"); // { from: 12, candidates: ["coolfile1.txt"] }
 * ```
 */
export const completePath: Completer = async (before) => {
  const slash = Math.max(before.lastIndexOf("/"), before.lastIndexOf("\\"));
  const folder = slash >= 0 ? before.slice(0, slash + 1) : "";
  const start = before.slice(slash + 1);
  const candidates: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder || ".")) {
      if (!entry.name.startsWith(start) || (entry.name.startsWith(".") && !start)) continue;
      candidates.push(entry.isDirectory ? `${entry.name}/` : entry.name);
      if (candidates.length >= MAX_ENTRIES) break;
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      return { from: slash + 1, candidates: [] };
    }
    if (error instanceof Deno.errors.NotADirectory) return { from: slash + 1, candidates: [] };
    throw error;
  }
  return { from: slash + 1, candidates: candidates.sort() };
};
