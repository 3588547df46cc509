/**
 * `deno task compile` and `deno task compile:all`: standalone executables
 * that need nothing installed.
 *
 * The bundles of {@linkcode bundle} are compiled, not the sources, so the
 * binaries embed exactly the code the bundle smoke test exercises, and no
 * npm package, remote module or config is swept in (`--no-npm`,
 * `--no-remote`, `--no-config`). Permissions come from {@linkcode PERMISSIONS}.
 *
 * Usage: `deno run -A scripts/compile.ts [--all] [--out-dir DIR]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, join, resolve } from "node:path";
import { runMain } from "../lib/shared/cli.ts";
import { hashFile } from "../lib/shared/files/read_file.ts";
import { toHex } from "../lib/shared/wire/wire_bytes.ts";
import { formatBytes } from "../lib/shared/format.ts";
import { bundle } from "./bundle.ts";
import { BuildError, displayPath, ROOT, runDeno } from "./deno_command.ts";
import { explainDenortFailure } from "./denort.ts";
import { binaryName, hostTarget, PERMISSIONS, type Program, PROGRAMS, TARGETS } from "./targets.ts";

/** `deno compile` could not get its runtime; the message is one line. */
export class DenortUnavailable extends BuildError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "DenortUnavailable";
  }
}

/** Options for {@linkcode compile}. */
export interface CompileOptions {
  /** Build every target in {@linkcode TARGETS} with target-named files. @default false */
  all?: boolean;
  /** Folder the bundles and binaries go to. @default "dist" (in the repository) */
  outDir?: string;
  /** Called after each binary is written. @default nothing */
  onBinary?: (path: string, size: number) => void;
}

/**
 * Bundles both programs, then compiles them for the host (`server`,
 * `client`) or, with `all`, for every target (`server-<target>`, …) plus a
 * `SHA256SUMS`. Resolves to the binaries' absolute paths.
 *
 * @throws {DenortUnavailable} when `deno compile` cannot get `denort`.
 * @throws {BuildError} when `deno bundle` or `deno compile` fails otherwise.
 */
export async function compile(options: CompileOptions = {}): Promise<string[]> {
  const outDir = resolve(options.outDir ?? join(ROOT, "dist"));
  const bundles = await bundle({ outDir });
  const host = hostTarget();
  const targets = options.all ? [...TARGETS] : [host];
  const binaries: string[] = [];
  for (const target of targets) {
    for (const program of PROGRAMS) {
      const output = join(outDir, binaryName(program, { target, named: options.all ?? false }));
      await compileOne(program, bundles[program], { target, host, output });
      const { size } = await Deno.stat(output);
      options.onBinary?.(output, size);
      binaries.push(output);
    }
  }
  if (options.all) await writeChecksums(join(outDir, "SHA256SUMS"), binaries);
  return binaries;
}

async function compileOne(
  program: Program,
  input: string,
  options: { target: string; host: string; output: string },
): Promise<void> {
  const { target, host, output } = options;
  const result = await runDeno(
    [
      "compile",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--no-npm",
      "--no-remote",
      ...PERMISSIONS[program],
      "--target",
      target,
      "--output",
      output,
      input,
    ],
    // deno compile uses DENORT_BIN for whatever target it builds: keep it for the host only.
    { unset: target === host ? [] : ["DENORT_BIN"] },
  );
  if (result.code === 0) return;
  const reason = explainDenortFailure(result.stderr, { target, host, version: Deno.version.deno });
  if (reason) {
    throw new DenortUnavailable(`Cannot build ${displayPath(output)}: ${reason}`);
  }
  throw new BuildError(
    `Cannot build ${
      displayPath(output)
    } for ${target}: deno compile exited with code ${result.code}:\n${result.stderr.trim()}`,
  );
}

/** Writes `<sha256>  <name>` lines, the format `sha256sum -c` checks. */
export async function writeChecksums(path: string, files: string[]): Promise<void> {
  const lines: string[] = [];
  for (const file of [...files].sort()) {
    const { sha256 } = await hashFile(file);
    lines.push(`${toHex(sha256)}  ${basename(file)}\n`);
  }
  await Deno.writeTextFile(path, lines.join(""));
}

const USAGE = `Usage: deno task compile [--all] [--out-dir DIR]

Builds standalone server and client executables in DIR (default dist/):
for this machine, or with --all for ${TARGETS.join(", ")}, plus SHA256SUMS.
deno compile downloads Deno's runtime (denort) once per target; where that is
impossible, set DENORT_BIN to a denort binary of Deno ${Deno.version.deno} for this machine.`;

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      all: { type: "boolean", default: false },
      "out-dir": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  await compile({
    all: values.all,
    outDir: values["out-dir"],
    onBinary: (path, size) => console.log(`Compiled ${displayPath(path)} (${formatBytes(size)})`),
  });
  return 0;
}

if (import.meta.main) {
  await runMain("compile", USAGE, main, (error) => {
    if (error instanceof BuildError) return error.message;
  });
}
