/**
 * The GUI's web server answers malformed paths with a client error, never
 * with 500 (a real server on 127.0.0.1, port 0, fetched over HTTP).
 */
import assert from "node:assert/strict";
import { GuiController } from "../../lib/gui/gui_controller.ts";
import { startGuiServer } from "../../lib/gui/gui_server.ts";

Deno.test("startGuiServer() answers an avatar key that is not percent-encoding with 400", async (t) => {
  const stagingDir = await Deno.makeTempDir({ prefix: "gui-server-" });
  try {
    const controller = new GuiController({ hostname: "127.0.0.1", port: 1 });
    await using server = startGuiServer({ controller, stagingDir });
    const token = new URL(server.url).searchParams.get("token")!;
    const get = (path: string) => fetch(`http://127.0.0.1:${server.port}${path}?token=${token}`);
    for (const [key, status] of [["%", 400], ["%E0%A4%A", 400], ["nobody", 404]] as const) {
      await t.step(`/avatar/${key}`, async () => {
        const response = await get(`/avatar/${key}`);
        const body = await response.text();
        assert.equal(response.status, status, body);
      });
    }
  } finally {
    await Deno.remove(stagingDir, { recursive: true });
  }
});
