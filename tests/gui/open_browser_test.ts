import assert from "node:assert/strict";
import { openCommand } from "../../lib/gui/open_browser.ts";

Deno.test("openCommand() uses each system's opener", () => {
  const url = "http://127.0.0.1:5000/?token=abc";
  assert.deepEqual(openCommand(url, "linux"), ["xdg-open", [url]]);
  assert.deepEqual(openCommand(url, "darwin"), ["open", [url]]);
  assert.deepEqual(openCommand(url, "windows"), ["cmd", ["/c", "start", "", url]]);
});
