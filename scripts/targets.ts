/**
 * What the build produces: the two programs, the permissions baked into
 * them, the targets `deno compile` builds for, and the file names. Pure
 * data and functions, shared by the build scripts and the tests.
 *
 * @module
 */

/** The two programs, named after their entry points (`server.ts`, `client.ts`). */
export const PROGRAMS = ["server", "client"] as const;

/** One of {@linkcode PROGRAMS}. */
export type Program = typeof PROGRAMS[number];

/**
 * The narrowest permissions each program works with. Relative paths are
 * resolved against the folder the program runs in, so a binary copied into
 * an empty folder reads and writes `downloads/` there.
 *
 * - server: listens, keeps its history in `chatroom.db` (SQLite through
 *   `node:sqlite`, which needs read and write on that one file: its `-wal`
 *   file is opened by SQLite itself, unchecked by Deno), stores attachments
 *   in `downloads/` and reads them back to forward them.
 * - client: connects, reads whichever file the user uploads, saves received
 *   files in `downloads/`, and starts the system's browser for `--gui`.
 */
export const PERMISSIONS: Readonly<Record<Program, readonly string[]>> = {
  server: [
    "--allow-net",
    "--allow-read=downloads,chatroom.db,chatroom.db-wal,history-archive",
    "--allow-write=downloads,chatroom.db,history-archive",
  ],
  client: ["--allow-net", "--allow-read", "--allow-write=downloads", "--allow-run"],
};

/** The targets `deno compile --target` builds for with `deno task compile:all`. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** One of {@linkcode TARGETS}, or the host's own target triple. */
export type Target = string;

/** The target triple of the machine this runs on, e.g. `x86_64-unknown-linux-gnu`. */
export function hostTarget(): Target {
  return Deno.build.target;
}

/**
 * The file name of a compiled program: `server` (or `server.exe`) for the
 * host build, `server-<target>` (plus `.exe` for Windows) for a named target.
 *
 * @example
 * ```ts
 * binaryName("client", { target: "x86_64-pc-windows-msvc", named: true });
 * // "client-x86_64-pc-windows-msvc.exe"
 * ```
 */
export function binaryName(
  program: Program,
  options: { target: Target; named: boolean },
): string {
  const base = options.named ? `${program}-${options.target}` : program;
  return options.target.includes("windows") ? `${base}.exe` : base;
}

/** The file name of a program's bundle: `server.js`, `client.js`. */
export function bundleName(program: Program): string {
  return `${program}.js`;
}
