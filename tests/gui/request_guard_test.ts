import assert from "node:assert/strict";
import { checkRequest, newToken, sameSecret } from "../../lib/gui/request_guard.ts";

const PORT = 41234;
const TOKEN = "s3cret-Token_value";
const ORIGIN = `http://127.0.0.1:${PORT}`;

function request(path: string, headers: Record<string, string> = {}, method = "GET"): Request {
  return new Request(`${ORIGIN}${path}`, {
    method,
    headers: { host: `127.0.0.1:${PORT}`, ...headers },
    body: method === "GET" ? undefined : "x",
  });
}

const check = (r: Request) => checkRequest(r, { token: TOKEN, port: PORT })?.reason ?? null;

Deno.test("checkRequest() lets the page's own requests through", async (t) => {
  await t.step("a navigation with the token", () => {
    assert.equal(check(request(`/?token=${TOKEN}`, { "sec-fetch-site": "none" })), null);
  });
  await t.step("a same-origin script load", () => {
    assert.equal(
      check(request(`/app.js?token=${TOKEN}`, { "sec-fetch-site": "same-origin" })),
      null,
    );
  });
  await t.step("the WebSocket from the page", () => {
    assert.equal(
      check(request(`/ws?token=${TOKEN}`, { upgrade: "websocket", origin: ORIGIN })),
      null,
    );
  });
  await t.step("an upload from the page", () => {
    assert.equal(check(request(`/upload?token=${TOKEN}`, { origin: ORIGIN }, "POST")), null);
  });
  await t.step("the page opened as localhost", () => {
    const r = request(`/ws?token=${TOKEN}`, {
      host: `localhost:${PORT}`,
      upgrade: "websocket",
      origin: `http://localhost:${PORT}`,
    });
    assert.equal(check(r), null);
  });
});

Deno.test("checkRequest() refuses requests without the right token", async (t) => {
  await t.step(
    "no token",
    () => assert.equal(check(request("/")), "Refused: the request has no token"),
  );
  await t.step("a wrong token", () => {
    assert.equal(check(request(`/?token=${TOKEN}x`)), "Refused: the token is wrong");
  });
  await t.step("an empty token", () => {
    assert.equal(check(request("/?token=")), "Refused: the token is wrong");
  });
});

Deno.test("checkRequest() refuses other origins, even with the token", async (t) => {
  await t.step("a foreign Origin on a GET", () => {
    assert.equal(
      check(request(`/?token=${TOKEN}`, { origin: "http://evil.example" })),
      'Refused: requests from origin "http://evil.example" are not allowed',
    );
  });
  await t.step("another port of this machine", () => {
    const r = request(`/ws?token=${TOKEN}`, { upgrade: "websocket", origin: "http://127.0.0.1:1" });
    assert.match(check(r)!, /origin "http:\/\/127\.0\.0\.1:1" are not allowed/);
  });
  await t.step("a WebSocket without an Origin", () => {
    assert.equal(
      check(request(`/ws?token=${TOKEN}`, { upgrade: "websocket" })),
      "Refused: a WebSocket request must send an Origin header",
    );
  });
  await t.step("a POST without an Origin", () => {
    assert.equal(
      check(request(`/upload?token=${TOKEN}`, {}, "POST")),
      "Refused: a POST request must send an Origin header",
    );
  });
  await t.step("an image loaded by another site", () => {
    assert.equal(
      check(request(`/avatar/x?token=${TOKEN}`, { "sec-fetch-site": "cross-site" })),
      "Refused: requests started by another site (Sec-Fetch-Site: cross-site) are not allowed",
    );
  });
  await t.step("a foreign Host (DNS rebinding)", () => {
    assert.equal(
      check(request(`/?token=${TOKEN}`, { host: `evil.example:${PORT}` })),
      `Refused: the Host header "evil.example:${PORT}" is not this GUI's address`,
    );
  });
});

Deno.test("newToken() makes distinct 256-bit base64url secrets", () => {
  const a = newToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, newToken());
});

Deno.test("sameSecret() compares whole strings", () => {
  assert.equal(sameSecret("abc", "abc"), true);
  assert.equal(sameSecret("abc", "abd"), false);
  assert.equal(sameSecret("abc", "ab"), false);
  assert.equal(sameSecret("", "a"), false);
});
