/**
 * Files the page uploaded, staged on disk (each alone in its own folder)
 * until the room's copy comes back.
 *
 * @module
 */

/** The staged copies of uploads in flight, by the name they were sent under. */
export class StagedUploads {
  #byName = new Map<string, string[]>();
  #log?: (line: string) => void;

  /** Creates an empty set; `log` is told about folders that cannot be removed. */
  constructor(log?: (line: string) => void) {
    this.#log = log;
  }

  /** Remembers the staged file at `path`, sent as `name`. */
  add(name: string, path: string): void {
    this.#byName.set(name, [...this.#byName.get(name) ?? [], path]);
  }

  /** The room's copy of `name` arrived: removes the oldest staged folder for it, in the background. */
  release(name: string): void {
    const staged = this.#byName.get(name)?.shift();
    if (!staged) return;
    const folder = staged.slice(0, staged.lastIndexOf("/"));
    Deno.remove(folder, { recursive: true }).catch((error) =>
      this.#log?.(`Cannot remove the staged copy in ${folder}: ${error.message}`)
    );
  }
}
