/**
 * The GUI server's `/avatar/KEY` and `/file/ID` routes: avatars held in
 * memory and files the session saved, served sandboxed.
 *
 * @module
 */
import { type GuiController } from "./gui_controller.ts";
import { respond } from "./http_response.ts";

/**
 * The avatar whose (URL-encoded) user key is `encodedKey`: 404 if there is
 * none, 400 if the key is not valid percent-encoding.
 */
export function avatarResponse(controller: GuiController, encodedKey: string): Response {
  let key: string;
  try {
    key = decodeURIComponent(encodedKey);
  } catch (error) {
    if (!(error instanceof URIError)) throw error;
    return respond(
      `Bad avatar key ${JSON.stringify(encodedKey)}: it is not valid percent-encoding`,
      400,
    );
  }
  const found = controller.avatar(key);
  if (!found) return respond("No such avatar", 404);
  return respond(found.bytes.slice(), 200, {
    "content-type": found.mime,
    "content-security-policy": "sandbox",
  });
}

/**
 * The saved file registered as `id`: an image is served as its type,
 * anything else as a download, and a file removed since is a 404.
 */
export async function savedFileResponse(controller: GuiController, id: string): Promise<Response> {
  const file = controller.file(id);
  if (!file) return respond("No such file", 404);
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(file.path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return respond(`${file.name} is no longer in downloads/`, 404);
    }
    throw error;
  }
  const headers: Record<string, string> = {
    "content-length": String((await handle.stat()).size),
    "content-security-policy": "sandbox",
  };
  if (file.mime) headers["content-type"] = file.mime;
  else {
    headers["content-type"] = "application/octet-stream";
    headers["content-disposition"] = `attachment; filename*=UTF-8''${
      encodeURIComponent(file.name)
    }`;
  }
  return respond(handle.readable, 200, headers);
}
