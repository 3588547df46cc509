/**
 * `deno task bundle`: builds `dist/server.js` and `dist/client.js`, single
 * files that run with `deno run` and the permissions in
 * {@linkcode PERMISSIONS}. They are also what `deno task compile` embeds.
 *
 * Usage: `deno run -A scripts/bundle.ts [--out-dir DIR]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { runMain } from "../lib/shared/cli.ts";
import { BuildError, displayPath, ROOT, runDeno } from "./deno_command.ts";
import { bundleName, PERMISSIONS, type Program, PROGRAMS } from "./targets.ts";

/** Options for {@linkcode bundle}. */
export interface BundleOptions {
  /** Folder the bundles are written to, created if missing. @default "dist" (in the repository) */
  outDir?: string;
}

/**
 * Bundles `server.ts` and `client.ts` with `deno bundle`. Resolves to the
 * absolute path of each bundle.
 *
 * @throws {BuildError} naming the entry point and what `deno bundle` said.
 */
export async function bundle(options: BundleOptions = {}): Promise<Record<Program, string>> {
  const outDir = resolve(options.outDir ?? join(ROOT, "dist"));
  await Deno.mkdir(outDir, { recursive: true });
  const paths = {} as Record<Program, string>;
  for (const program of PROGRAMS) {
    const output = join(outDir, bundleName(program));
    const result = await runDeno([
      "bundle",
      "--quiet",
      "--platform=deno",
      "--output",
      output,
      `${program}.ts`,
    ]);
    if (result.code !== 0) {
      throw new BuildError(
        `Cannot bundle ${program}.ts: deno bundle exited with code ${result.code}:\n${result.stderr.trim()}`,
      );
    }
    paths[program] = output;
  }
  return paths;
}

/** The command line that runs a bundle, e.g. for the README and the smoke test. */
export function bundleCommand(program: Program, path = `dist/${bundleName(program)}`): string[] {
  return ["deno", "run", ...PERMISSIONS[program], path];
}

const USAGE = `Usage: deno task bundle [--out-dir DIR]

Builds server.js and client.js in DIR (default dist/).`;

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { "out-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const paths = await bundle({ outDir: values["out-dir"] });
  for (const program of PROGRAMS) {
    const path = displayPath(paths[program]);
    const { size } = await Deno.stat(path);
    console.log(`Bundled ${path} (${size} bytes); run it with:`);
    console.log(`  ${bundleCommand(program, path).join(" ")}`);
  }
  return 0;
}

if (import.meta.main) {
  await runMain("bundle", USAGE, main, (error) => {
    if (error instanceof BuildError) return error.message;
  });
}
