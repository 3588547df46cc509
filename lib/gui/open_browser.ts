/**
 * Opens a URL in the system's browser.
 *
 * @module
 */
import { errorText } from "../shared/error_text.ts";

/** The command that opens `url` on `os`: `xdg-open`, `open` or `cmd /c start`. */
export function openCommand(url: string, os: typeof Deno.build.os): [string, string[]] {
  if (os === "darwin") return ["open", [url]];
  // `start` takes its first quoted argument as a window title: pass an empty
  // one (quoted as "" on the command line). The URL has no `&` to escape:
  // the token is base64url.
  if (os === "windows") return ["cmd", ["/c", "start", "", url]];
  return ["xdg-open", [url]];
}

/**
 * Opens `url` in the default browser. Resolves to `null` once the opener
 * ran, or to a sentence saying why it could not, e.g. when there is no
 * `xdg-open` on a server without a desktop.
 */
export async function openBrowser(
  url: string,
  os: typeof Deno.build.os = Deno.build.os,
): Promise<string | null> {
  const [command, args] = openCommand(url, os);
  try {
    const { success, code } = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return success ? null : `Cannot open a browser: ${command} exited with code ${code}`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return `Cannot open a browser: ${command} is not installed`;
    }
    return `Cannot open a browser with ${command}: ${errorText(error)}`;
  }
}
