/**
 * findBrowser(): where the GUI tests look for a browser on each OS, with the
 * OS, the environment and the file system injected.
 */
import assert from "node:assert/strict";
import { browserCandidates, findBrowser } from "../support/find_browser.ts";

const WINDOWS_ENV: Record<string, string> = {
  PROGRAMFILES: "C:\\Program Files",
  "PROGRAMFILES(X86)": "C:\\Program Files (x86)",
  LOCALAPPDATA: "C:\\Users\\fire\\AppData\\Local",
};

function search(os: typeof Deno.build.os, files: string[], env: Record<string, string> = {}) {
  return findBrowser({ os, env: (name) => env[name], exists: (path) => files.includes(path) });
}

Deno.test("findBrowser() finds the browser users have, in its standard place", async (t) => {
  await t.step("Debian's Chromium first on Linux", () => {
    assert.deepEqual(
      search("linux", ["/usr/lib/chromium/chromium", "/usr/bin/google-chrome"]),
      { path: "/usr/lib/chromium/chromium" },
    );
  });
  await t.step("Fedora's Chromium", () => {
    const fedora = "/usr/lib64/chromium-browser/chromium-browser";
    assert.deepEqual(search("linux", [fedora]), { path: fedora });
  });
  await t.step("Google Chrome on a GitHub ubuntu runner", () => {
    assert.deepEqual(search("linux", ["/usr/bin/google-chrome"]), {
      path: "/usr/bin/google-chrome",
    });
  });
  await t.step("the snap's Chromium only when nothing else is there", () => {
    assert.deepEqual(search("linux", ["/snap/bin/chromium"]), { path: "/snap/bin/chromium" });
    assert.deepEqual(search("linux", ["/snap/bin/chromium", "/usr/bin/chromium"]), {
      path: "/usr/bin/chromium",
    });
  });
  await t.step("Chrome, Chromium or Edge in Applications on macOS", () => {
    const edge = "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge";
    const chrome = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";
    assert.deepEqual(search("darwin", [edge]), { path: edge });
    assert.deepEqual(search("darwin", [edge, chrome]), { path: chrome });
    const own = "/Users/fire/Applications/Chromium.app/Contents/MacOS/Chromium";
    assert.deepEqual(search("darwin", [own], { HOME: "/Users/fire" }), { path: own });
  });
  await t.step("Chrome or Edge under Program Files or LOCALAPPDATA on Windows", () => {
    const chrome = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe";
    const edge = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe";
    const user = "C:\\Users\\fire\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe";
    assert.deepEqual(search("windows", [edge, chrome], WINDOWS_ENV), { path: chrome });
    assert.deepEqual(search("windows", [edge], WINDOWS_ENV), { path: edge });
    assert.deepEqual(search("windows", [user], WINDOWS_ENV), { path: user });
  });
});

Deno.test("findBrowser() takes CHROMIUM_PATH, and only it, when it is set", async (t) => {
  await t.step("over the standard places", () => {
    const env = { CHROMIUM_PATH: "/opt/mine/chrome" };
    assert.deepEqual(search("linux", ["/opt/mine/chrome", "/usr/bin/chromium"], env), {
      path: "/opt/mine/chrome",
    });
  });
  await t.step("naming it when it points at nothing", () => {
    const found = search("linux", ["/usr/bin/chromium"], { CHROMIUM_PATH: "/nope" });
    assert.ok("missing" in found);
    assert.match(found.missing, /^CHROMIUM_PATH is set to "\/nope", which is not a file/);
  });
});

Deno.test("findBrowser() without a browser says in one line how to point at one", () => {
  for (const os of ["linux", "darwin", "windows"] as const) {
    const found = search(os, [], WINDOWS_ENV);
    assert.ok("missing" in found, os);
    assert.equal(found.missing.includes("\n"), false);
    assert.match(found.missing, /found none in \d+ standard places on /);
    assert.match(found.missing, /set CHROMIUM_PATH to its executable/);
  }
  assert.match(
    (search("windows", []) as { missing: string }).missing,
    /\$env:CHROMIUM_PATH = /,
    "PowerShell's syntax on Windows",
  );
});

Deno.test("browserCandidates() skips Windows folders whose variable is unset", () => {
  const places = browserCandidates("windows", (name) => WINDOWS_ENV[name]);
  assert.equal(places.length, 9);
  assert.deepEqual(browserCandidates("windows", () => undefined), []);
});
