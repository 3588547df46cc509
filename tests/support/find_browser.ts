/**
 * Test support: finds a Chromium-based browser for the GUI tests the way
 * users have one — `CHROMIUM_PATH`, else Chromium, Google Chrome or
 * Microsoft Edge in their standard places on Linux, macOS and Windows
 * (GitHub's runners have Chrome). Pure apart from the injected `exists`.
 *
 * @module
 */

/** The OS names of `Deno.build.os` this knows places for; others search like Linux. */
export type BrowserOs = typeof Deno.build.os;

/** What {@linkcode findBrowser} looks at. */
export interface BrowserSearch {
  /** The operating system. @default Deno.build.os */
  os?: BrowserOs;
  /** Reads an environment variable. @default Deno.env.get */
  env?: (name: string) => string | undefined;
  /** True if `path` is a file. @default a `Deno.statSync` check */
  exists?: (path: string) => boolean;
}

/** The result: the browser's executable, or one line saying how to point at one. */
export type BrowserFound = { path: string } | { missing: string };

const LINUX = [
  "/usr/lib/chromium/chromium", // Debian
  "/usr/bin/chromium",
  "/usr/lib/chromium-browser/chromium-browser", // Ubuntu's deb (before the snap)
  "/usr/lib64/chromium-browser/chromium-browser", // Fedora
  "/usr/bin/chromium-browser",
  "/opt/google/chrome/chrome", // Google Chrome (GitHub's ubuntu runners)
  "/usr/bin/google-chrome-stable",
  "/usr/bin/google-chrome",
  "/opt/microsoft/msedge/msedge",
  "/usr/bin/microsoft-edge-stable",
  "/usr/bin/microsoft-edge",
  "/snap/bin/chromium", // Ubuntu's snap: last, it starts through snapd
];

const MAC_APPS = [
  "Google Chrome.app/Contents/MacOS/Google Chrome",
  "Chromium.app/Contents/MacOS/Chromium",
  "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
];

const WINDOWS_APPS = [
  "Google\\Chrome\\Application\\chrome.exe",
  "Chromium\\Application\\chrome.exe",
  "Microsoft\\Edge\\Application\\msedge.exe",
];

/** Every place {@linkcode findBrowser} looks on `os`, in order, `CHROMIUM_PATH` not included. */
export function browserCandidates(
  os: BrowserOs,
  env: (name: string) => string | undefined,
): string[] {
  if (os === "darwin") {
    const home = env("HOME");
    const roots = ["/Applications", ...(home ? [`${home}/Applications`] : [])];
    return MAC_APPS.flatMap((app) => roots.map((root) => `${root}/${app}`));
  }
  if (os === "windows") {
    const roots = ["PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA"]
      .map((name) => env(name))
      .filter((root): root is string => root !== undefined && root !== "");
    return WINDOWS_APPS.flatMap((app) => roots.map((root) => `${root}\\${app}`));
  }
  return LINUX;
}

/**
 * Finds the browser: `CHROMIUM_PATH` if set (and then only it), else the
 * first of {@linkcode browserCandidates} that exists.
 *
 * @example
 * ```ts
 * const found = findBrowser();
 * if ("missing" in found) throw new Error(found.missing);
 * ```
 */
export function findBrowser(search: BrowserSearch = {}): BrowserFound {
  const os = search.os ?? Deno.build.os;
  const env = search.env ?? ((name: string) => Deno.env.get(name));
  const exists = search.exists ?? isFile;
  const override = env("CHROMIUM_PATH");
  if (override !== undefined && override !== "") {
    if (exists(override)) return { path: override };
    return {
      missing: `CHROMIUM_PATH is set to ${
        JSON.stringify(override)
      }, which is not a file: point it at the executable of Chromium, Chrome or Edge, or unset it`,
    };
  }
  const candidates = browserCandidates(os, env);
  const path = candidates.find((candidate) => exists(candidate));
  if (path !== undefined) return { path };
  const example = os === "windows"
    ? `$env:CHROMIUM_PATH = "C:\\path\\to\\chrome.exe"`
    : os === "darwin"
    ? `CHROMIUM_PATH="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"`
    : "CHROMIUM_PATH=/usr/bin/chromium";
  return {
    missing:
      `The GUI tests need Chromium, Google Chrome or Microsoft Edge and found none in ${candidates.length} standard places on ${os}: install one, or set CHROMIUM_PATH to its executable (e.g. ${example})`,
  };
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    if (error instanceof Deno.errors.PermissionDenied) return false;
    throw error;
  }
}
