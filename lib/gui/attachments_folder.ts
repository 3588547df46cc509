/**
 * The user's `attachments/` folder as the GUI's file box sees it: a flat
 * list of file names, and a name resolved only if it is one of them.
 *
 * @module
 */

/** Most names listed, so a huge folder cannot flood the page. */
export const MAX_LISTED_FILES = 1000;

/**
 * Names of the regular files directly in `dir`, sorted, at most
 * {@linkcode MAX_LISTED_FILES}; hidden files are left out. A missing folder
 * is an empty list.
 */
export async function listAttachments(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && !entry.name.startsWith(".")) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return names.sort((a, b) => a.localeCompare(b)).slice(0, MAX_LISTED_FILES);
}

/**
 * The path of the file called `name` in `dir`, if `name` is exactly one of
 * the names {@linkcode listAttachments} gives; otherwise `null`. So the page
 * can never name a path outside the folder (`../x`, `/etc/passwd`).
 */
export async function resolveAttachment(dir: string, name: string): Promise<string | null> {
  if (name === "" || /[\\/]/.test(name) || name === "." || name === "..") return null;
  const names = await listAttachments(dir);
  return names.includes(name) ? `${dir}/${name}` : null;
}
