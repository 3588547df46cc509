/**
 * The GUI server's `POST /upload?name=NAME`: a file the page picked,
 * streamed to a folder of its own under the staging folder, then handed
 * to the controller to send.
 *
 * @module
 */
import { writeAll } from "../shared/net/byte_conn.ts";
import { safeFileName } from "../shared/files/safe_file_name.ts";
import { errorText } from "../shared/error_text.ts";
import { type GuiController } from "./gui_controller.ts";
import { json } from "./http_response.ts";

/** Options for {@linkcode uploadResponse}. */
export interface PageUploadOptions {
  controller: GuiController;
  /** Folder where files the page uploads are staged before they are sent. */
  stagingDir: string;
  /** Largest file the page may upload, in bytes. */
  maxBytes: number;
}

/**
 * Stages the request's body and sends it: 200 with its size, 413 if it
 * says it is over the limit, 400 (and nothing left staged) if it fails.
 */
export async function uploadResponse(
  request: Request,
  options: PageUploadOptions,
): Promise<Response> {
  const name = safeFileName(new URL(request.url).searchParams.get("name") ?? "");
  const max = options.maxBytes;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > max) {
    return json(413, {
      error: `Cannot send ${name}: it is ${declared} bytes, over the limit of ${max}`,
    });
  }
  const dir = `${options.stagingDir}/${crypto.randomUUID()}`;
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${name}`;
  try {
    await stage(request.body, path, max);
    const { size } = await options.controller.uploadStaged(path, name);
    return json(200, { ok: true, size });
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {/* nothing was staged */});
    return json(400, { error: errorText(error) });
  }
}

/** Streams a request body to `path`, refusing more than `max` bytes. */
async function stage(
  body: ReadableStream<Uint8Array> | null,
  path: string,
  max: number,
): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  let size = 0;
  try {
    if (!body) return;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > max) {
        throw new Error(`Cannot stage the file: it is over the limit of ${max} bytes`);
      }
      await writeAll(file, chunk);
    }
  } finally {
    file.close();
  }
}
