/**
 * Builds the TCP_NODELAY shim (`nodelay_shim.c` beside this file) with the
 * machine's C compiler, for `LD_PRELOAD` into a peer server.
 *
 * @module
 */
import { findExecutable } from "./irc_server.ts";

const SOURCE = new URL("./nodelay_shim.c", import.meta.url).pathname;

/**
 * Compiles the shim into `dir` and returns the path of the shared object,
 * or undefined when there is no C compiler (`cc`, `gcc` or `clang`).
 * Throws with the compiler's output if it fails.
 */
export async function buildNodelayShim(dir: string): Promise<string | undefined> {
  const compiler = ["cc", "gcc", "clang"].map(findExecutable).find((path) => path);
  if (!compiler) return undefined;
  const output = `${dir}/nodelay_shim.so`;
  const result = await new Deno.Command(compiler, {
    args: ["-shared", "-fPIC", "-O2", "-o", output, SOURCE, "-ldl"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(
      `Cannot build the TCP_NODELAY shim with ${compiler}:\n${
        new TextDecoder().decode(result.stderr)
      }`,
    );
  }
  return output;
}
