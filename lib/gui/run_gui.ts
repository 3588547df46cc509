/**
 * `client --gui`: the controller, the local web server and the browser,
 * started together and stopped together.
 *
 * @module
 */
import { GuiController } from "./gui_controller.ts";
import { startGuiServer } from "./gui_server.ts";
import { openBrowser } from "./open_browser.ts";
import { freeSpace } from "../client/free_space.ts";

/** Options for {@linkcode runGui}. */
export interface RunGuiOptions {
  /** The chat server. */
  hostname: string;
  port: number;
  /** Where received files are saved. @default "downloads" */
  downloadsDir?: string;
  /** The folder the file box searches. @default "attachments" */
  attachmentsDir?: string;
  /** Largest attachment saved, in bytes. @default 1073741824 (1 GiB) */
  maxDownload?: number;
  /** Port of the GUI's web server; 0 picks a free one. @default 0 */
  guiPort?: number;
  /** Open the system browser at the URL. @default true */
  open?: boolean;
  /** Print every frame sent and received. @default false */
  trace?: boolean;
  /** Where the URL and problems are printed, one line at a time. */
  print: (line: string) => void;
  /** Resolves when the GUI should stop (e.g. on Ctrl-C). */
  stop: Promise<unknown>;
}

/**
 * Runs the GUI until `stop` resolves, then leaves the chatroom, closes the
 * pages and removes staged uploads. Returns the exit code.
 */
export async function runGui(options: RunGuiOptions): Promise<number> {
  // Files picked in the browser are staged inside downloads/, the one folder
  // the client may write to (see scripts/targets.ts), in a hidden folder.
  const downloadsDir = options.downloadsDir ?? "downloads";
  await Deno.mkdir(downloadsDir, { recursive: true });
  const stagingDir = await Deno.makeTempDir({ dir: downloadsDir, prefix: ".outgoing-" });
  const controller = new GuiController({
    hostname: options.hostname,
    port: options.port,
    downloadsDir: options.downloadsDir,
    attachmentsDir: options.attachmentsDir,
    maxDownload: options.maxDownload,
    freeSpace,
    trace: options.trace ? options.print : undefined,
    log: options.print,
  });
  try {
    const server = startGuiServer({
      controller,
      stagingDir,
      port: options.guiPort ?? 0,
      log: options.print,
    });
    try {
      options.print(`Chatroom GUI: ${server.url}`);
      if (options.open ?? true) {
        options.print("Opening it in your browser. Press Ctrl-C here to stop.");
        void openBrowser(server.url).then((problem) => {
          if (problem) options.print(`${problem}; open the address above yourself.`);
        });
      } else {
        options.print("Open this address in your browser. Press Ctrl-C here to stop.");
      }
      await options.stop;
      options.print("Stopping the GUI");
      await controller.close();
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(stagingDir, { recursive: true });
  }
  return 0;
}
