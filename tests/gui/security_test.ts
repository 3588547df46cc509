import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { startGuiClient } from "../support/client_programs.ts";
import { joinFromPage, launchBrowser } from "../support/browser.ts";
import { makePng } from "../support/png.ts";

/** Sends a raw HTTP/1.1 request and returns the status code of the answer. */
async function rawStatus(port: number, lines: string[]): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const connection = lines.some((l) => /^upgrade:/i.test(l)) ? "Upgrade" : "close";
    const request = [...lines, `Connection: ${connection}`, "", ""].join("\r\n");
    await conn.write(new TextEncoder().encode(request));
    let head = "";
    const buf = new Uint8Array(4096);
    while (!head.includes("\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      head += new TextDecoder().decode(buf.subarray(0, n));
    }
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
    assert.ok(status, `not an HTTP answer: ${JSON.stringify(head)}`);
    return Number(status[1]);
  } finally {
    conn.close();
  }
}

/** A WebSocket handshake for `/ws?token=…` with the given extra headers. */
function handshake(port: number, token: string, extra: string[]): string[] {
  return [
    `GET /ws?token=${token} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ...extra,
  ];
}

Deno.test("the GUI refuses requests without its token, from another origin or for another host", async (t) => {
  await using srv = await startServer();
  await using gui = await startGuiClient(srv.port, `${srv.dir}/gui`);
  const url = new URL(gui.url);
  const port = Number(url.port);
  const token = url.searchParams.get("token")!;
  const base = `http://127.0.0.1:${port}`;

  await t.step("the page, its script and files without the token", async () => {
    for (const path of ["/", "/app.js", "/app.css", "/file/1", "/avatar/cool"]) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 403, path);
      assert.equal(await response.text(), "Refused: the request has no token");
    }
  });

  await t.step("a wrong token", async () => {
    const response = await fetch(`${base}/?token=${token.slice(0, -1)}x`);
    assert.equal(response.status, 403);
    assert.equal(await response.text(), "Refused: the token is wrong");
  });

  await t.step("the right token is served, with a strict content security policy", async () => {
    const response = await fetch(gui.url);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-security-policy")!, /script-src 'self'/);
    await response.body?.cancel();
  });

  await t.step("the right token but a foreign Origin", async () => {
    const response = await fetch(gui.url, { headers: { origin: "http://evil.example" } });
    assert.equal(response.status, 403);
    assert.match(await response.text(), /origin "http:\/\/evil\.example" are not allowed/);
  });

  await t.step("an upload without an Origin", async () => {
    const response = await fetch(`${base}/upload?token=${token}&name=x.txt`, {
      method: "POST",
      body: "x",
    });
    assert.equal(response.status, 403);
    assert.equal(await response.text(), "Refused: a POST request must send an Origin header");
  });

  await t.step(
    "WebSocket handshakes: foreign or missing Origin refused, own origin accepted",
    async () => {
      assert.equal(
        await rawStatus(port, handshake(port, token, ["Origin: http://evil.example"])),
        403,
      );
      assert.equal(await rawStatus(port, handshake(port, token, ["Origin: null"])), 403);
      assert.equal(await rawStatus(port, handshake(port, token, [])), 403);
      assert.equal(await rawStatus(port, handshake(port, "nope", [`Origin: ${base}`])), 403);
      assert.equal(await rawStatus(port, handshake(port, token, [`Origin: ${base}`])), 101);
    },
  );

  await t.step("a foreign Host header (DNS rebinding)", async () => {
    const status = await rawStatus(port, [
      `GET /?token=${token} HTTP/1.1`,
      `Host: evil.example:${port}`,
    ]);
    assert.equal(status, 403);
  });
});

Deno.test("a page on another origin cannot drive the GUI or load its images, even knowing the token", async () => {
  await using srv = await startServer();
  await using gui = await startGuiClient(srv.port, `${srv.dir}/gui`);
  await Deno.writeFile(`${srv.dir}/me.png`, makePng(32, 32));
  await using browser = await launchBrowser();
  const page = await browser.open(gui.url);
  await joinFromPage(page, "Cool", { avatarPath: `${srv.dir}/me.png` });
  await page.locator("#me-avatar img.avatar").waitFor();
  const avatarUrl = await page.locator("#me-avatar img.avatar").getAttribute("src");
  const wsUrl = gui.url.replace("http://", "ws://").replace("/?", "/ws?");
  const imageUrl = new URL(avatarUrl!, gui.url).href;

  // The attacker's page, served from another port of the same machine.
  const evil = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response("<!doctype html><title>evil</title><p>hello</p>", {
        headers: { "content-type": "text/html" },
      }),
  );
  try {
    const attacker = await browser.open(`http://127.0.0.1:${evil.addr.port}/`);
    const result = await attacker.evaluate(async ([ws, img]) => {
      const g = globalThis as unknown as {
        WebSocket: new (url: string) => {
          onopen: (() => void) | null;
          onerror: (() => void) | null;
          close(): void;
        };
        Image: new () => { onload: (() => void) | null; onerror: (() => void) | null; src: string };
      };
      const socket = await new Promise<string>((resolve) => {
        const s = new g.WebSocket(ws);
        s.onopen = () => (s.close(), resolve("opened"));
        s.onerror = () => resolve("refused");
      });
      const image = await new Promise<string>((resolve) => {
        const i = new g.Image();
        i.onload = () => resolve("loaded");
        i.onerror = () => resolve("refused");
        i.src = img;
      });
      return { socket, image };
    }, [wsUrl, imageUrl]);
    assert.deepEqual(result, { socket: "refused", image: "refused" });
    // The client logs each refusal; wait for the lines rather than read them at once.
    await gui.process.waitFor(
      /Refused: requests from origin "http:\/\/127\.0\.0\.1:\d+" are not allowed/,
      { from: 0 },
    );
    await gui.process.waitFor(
      /Refused: requests started by another site \(Sec-Fetch-Site: same-site\)/,
      { from: 0 },
    );
  } finally {
    await evil.shutdown();
  }
});
