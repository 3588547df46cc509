/**
 * `deno task install` and `deno task uninstall`: put `chatroom-server` and
 * `chatroom-client` on the PATH with `deno install --global`, or take them
 * off, so that both start from any folder.
 *
 * Each command gets the permissions of its binary ({@linkcode PERMISSIONS}).
 * Their relative paths stay relative in the generated launcher (checked with
 * Deno 2.9.6: `--allow-write=downloads` is written as is, not resolved at
 * install time), so Deno resolves them against the folder the command is
 * started in: a client started in `fire/` reads `fire/attachments/` and
 * saves to `fire/downloads/`.
 *
 * The launchers run the sources of this clone: after moving or deleting it,
 * run `deno task install` again from the new place. The install root is
 * Deno's: `$DENO_INSTALL_ROOT/bin`, else `~/.deno/bin`.
 *
 * Usage: `deno run -A scripts/install.ts [--uninstall] [--root DIR]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { delimiter, join } from "node:path";
import { runMain } from "../lib/shared/cli.ts";
import { BuildError, ROOT, runDeno } from "./deno_command.ts";
import { PERMISSIONS, type Program, PROGRAMS } from "./targets.ts";

/** The name a program is installed under: `chatroom-server`, `chatroom-client`. */
export function commandName(program: Program): string {
  return `chatroom-${program}`;
}

/** Options for {@linkcode installArgs} and {@linkcode install}. */
export interface InstallOptions {
  /** Installation root (its `bin/` gets the launchers). @default Deno's: `DENO_INSTALL_ROOT`, else `~/.deno` */
  root?: string;
  /** The repository whose `server.ts` and `client.ts` are installed. @default {@linkcode ROOT} */
  repo?: string;
}

/**
 * The arguments of `deno install` for one program: global, overwriting an
 * older install, with this repository's `deno.json` (its import map and
 * lock file) and the program's permissions.
 *
 * @example
 * ```ts
 * installArgs("client", { repo: "/src/chatroom" });
 * // ["install", "--global", "--force", "--name", "chatroom-client",
 * //  "--config", "/src/chatroom/deno.json", "--allow-net", …, "/src/chatroom/client.ts"]
 * ```
 */
export function installArgs(program: Program, options: InstallOptions = {}): string[] {
  const repo = options.repo ?? ROOT;
  return [
    "install",
    "--global",
    "--force",
    "--name",
    commandName(program),
    ...(options.root ? ["--root", options.root] : []),
    "--config",
    join(repo, "deno.json"),
    ...PERMISSIONS[program],
    join(repo, `${program}.ts`),
  ];
}

/** The arguments of `deno uninstall` for both programs. */
export function uninstallArgs(options: InstallOptions = {}): string[] {
  return [
    "uninstall",
    "--global",
    ...(options.root ? ["--root", options.root] : []),
    ...PROGRAMS.map(commandName),
  ];
}

/** Where Deno puts the launchers: `<root>/bin`, as `deno install` picks the root. */
export function binDir(
  options: { root?: string; env?: (name: string) => string | undefined; os?: string } = {},
): string {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const os = options.os ?? Deno.build.os;
  const home = os === "windows" ? env("USERPROFILE") : env("HOME");
  const root = options.root ?? env("DENO_INSTALL_ROOT") ?? join(home ?? ".", ".deno");
  return join(root, "bin");
}

/**
 * The launcher files `deno install` writes for a command on `os`: a shell
 * script, plus a `.cmd` on Windows.
 */
export function launcherFiles(bin: string, name: string, os: string = Deno.build.os): string[] {
  return os === "windows" ? [join(bin, `${name}.cmd`), join(bin, name)] : [join(bin, name)];
}

/** True if `command` (plus `.exe`/`.cmd` on Windows) is a file in a folder of `path`. */
export function onPath(
  command: string,
  path: string,
  options: { os?: string; exists?: (file: string) => boolean } = {},
): boolean {
  const os = options.os ?? Deno.build.os;
  const exists = options.exists ?? fileExists;
  const names = os === "windows" ? [`${command}.exe`, `${command}.cmd`, command] : [command];
  const sep = os === "windows" ? ";" : delimiter;
  return path.split(sep).filter((d) => d !== "").some((d) => names.some((n) => exists(join(d, n))));
}

/**
 * `path` without the folders `npx`/`npm exec` put in front for the command
 * it runs (`~/.npm/_npx/<hash>/node_modules/.bin`, `./node_modules/.bin`):
 * a `deno` found only there is gone once `npx -y deno@2.9.6 task install`
 * returns.
 */
export function lastingPath(path: string, os: string = Deno.build.os): string {
  const sep = os === "windows" ? ";" : delimiter;
  return path.split(sep).filter((dir) => !/(^|[\\/])(_npx|node_modules)([\\/]|$)/.test(dir))
    .join(sep);
}

function fileExists(file: string): boolean {
  try {
    return Deno.statSync(file).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}

/**
 * The launcher with its `deno run` started by `deno` at an absolute path.
 * `deno install` writes a bare `deno`, which fails where Deno is not on the
 * PATH, e.g. when it came through `npx -y deno@2.9.6` (see {@linkcode lastingPath}).
 */
export function pinRunner(launcher: string, denoPath: string, os: string = Deno.build.os): string {
  const quoted = os === "windows" ? `"${denoPath}"` : `'${denoPath.replaceAll("'", `'\\''`)}'`;
  return launcher.replace(/(^|exec |@)deno run /m, (_match, lead) => `${lead}${quoted} run `);
}

/** What {@linkcode install} did. */
export interface InstallResult {
  /** The folder the launchers are in. */
  bin: string;
  /** True if `bin` is on the PATH. */
  binOnPath: boolean;
  /** True if the launchers run this `deno` by its absolute path ({@linkcode pinRunner}). */
  pinned: boolean;
}

/** Installs both programs; see the module's documentation. */
export async function install(options: InstallOptions = {}): Promise<InstallResult> {
  for (const program of PROGRAMS) {
    const result = await runDeno(installArgs(program, options));
    if (result.code !== 0) {
      throw new BuildError(
        `Cannot install ${commandName(program)}: deno install exited with code ${result.code}: ${
          lastLine(result.stderr)
        }`,
      );
    }
  }
  const bin = binDir({ root: options.root });
  const path = Deno.env.get("PATH") ?? "";
  const pinned = !onPath("deno", lastingPath(path));
  if (pinned) {
    for (const program of PROGRAMS) {
      for (const file of launcherFiles(bin, commandName(program))) {
        const text = await Deno.readTextFile(file);
        await Deno.writeTextFile(file, pinRunner(text, Deno.execPath()));
      }
    }
  }
  return { bin, binOnPath: path.split(delimiter).includes(bin), pinned };
}

/** Removes both programs' launchers. */
export async function uninstall(options: InstallOptions = {}): Promise<void> {
  const result = await runDeno(uninstallArgs(options));
  if (result.code !== 0) {
    throw new BuildError(
      `Cannot uninstall ${
        PROGRAMS.map(commandName).join(" and ")
      }: deno uninstall exited with code ${result.code}: ${lastLine(result.stderr)}`,
    );
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter((l) => !/^\s*\d+: /.test(l)).pop() ?? "(no output)";
}

const USAGE = `Usage: deno task install [--root DIR]
       deno task uninstall [--root DIR]

Puts chatroom-server and chatroom-client on the PATH (deno install --global),
or removes them. Both then start from any folder and use that folder's
downloads/, attachments/ and chatroom.db.

Options:
  --root DIR     installation root (default: $DENO_INSTALL_ROOT, else ~/.deno)
  --uninstall    remove the two commands
  -h, --help     show this help`;

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args: args[0] === "--" ? args.slice(1) : args,
    options: {
      root: { type: "string" },
      uninstall: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const names = PROGRAMS.map(commandName).join(" and ");
  if (values.uninstall) {
    await uninstall({ root: values.root });
    console.log(`Removed ${names} from ${binDir({ root: values.root })}`);
    return 0;
  }
  const result = await install({ root: values.root });
  console.log(`Installed ${names} in ${result.bin}`);
  if (result.pinned) {
    console.log(
      `deno is not on the PATH, so they run ${Deno.execPath()}; if that file goes away ` +
        `(e.g. npm's cache is cleared), run this install again`,
    );
  }
  if (!result.binOnPath) {
    console.log(`Add ${result.bin} to your PATH to start them by name from any folder`);
  }
  console.log(
    "In each user's folder: chatroom-client (the server: chatroom-server in its own folder)",
  );
  return 0;
}

if (import.meta.main) {
  await runMain("install", USAGE, main, (error) => {
    if (error instanceof BuildError) return error.message;
  });
}
