/**
 * Test support: a headless Chromium-based browser (the one
 * {@linkcode findBrowser} finds: `CHROMIUM_PATH`, else Chromium, Chrome or
 * Edge where they are usually installed) through `playwright-core`, and the
 * GUI actions tests repeat.
 *
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { findBrowser } from "./find_browser.ts";
import type { PageGlobals, PageImage } from "./page_globals.ts";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/** A browser that closes itself when disposed, and collects page errors. */
export interface TestBrowser extends AsyncDisposable {
  browser: Browser;
  /** Uncaught errors of every page opened with {@linkcode TestBrowser.open}. */
  pageErrors: string[];
  /** Opens `url` in a fresh context (its own storage) with the given viewport. */
  open(url: string, viewport?: { width: number; height: number }): Promise<Page>;
}

/** Launches the browser headless; where there is none, fails with one line saying how to set one. */
export async function launchBrowser(): Promise<TestBrowser> {
  const found = findBrowser();
  if ("missing" in found) throw new Error(found.missing);
  const browser = await chromium.launch({ executablePath: found.path, args: FLAGS });
  const pageErrors: string[] = [];
  return {
    browser,
    pageErrors,
    async open(url, viewport = { width: 1280, height: 800 }) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      page.on("pageerror", (error) => pageErrors.push(`${url}: ${error.message}`));
      await page.goto(url);
      return page;
    },
    async [Symbol.asyncDispose]() {
      await browser.close();
    },
  };
}

/** Options for {@linkcode joinFromPage}. */
export interface JoinOptions {
  /** An image file to choose as the avatar. */
  avatarPath?: string;
}

/** Fills in the join screen and waits for the chat screen. */
export async function joinFromPage(page: Page, username: string, options: JoinOptions = {}) {
  await page.locator("#join-screen").waitFor({ state: "visible" });
  if (options.avatarPath) {
    await page.setInputFiles("#avatar-input", options.avatarPath);
    await page.locator("#avatar-preview img.avatar").waitFor();
  }
  await page.fill("#username", username);
  await page.click("#join-button");
  await page.locator("#chat-screen").waitFor({ state: "visible" });
}

/** Presses Quit and waits for the join screen; `others` wait until they see the user leave. */
export async function quitFromPage(page: Page, username: string, others: Page[] = []) {
  await page.click("#quit-button");
  await page.locator("#join-screen").waitFor({ state: "visible" });
  for (const other of others) await other.getByText(`${username} left the chatroom.`).waitFor();
}

/** Types a message and presses Enter. */
export async function say(page: Page, text: string): Promise<void> {
  await page.fill("#message", text);
  await page.press("#message", "Enter");
}

/** Waits until `page` shows a chat image named `name` that the browser decoded; returns its size. */
export async function renderedImage(
  page: Page,
  name: string,
): Promise<{ width: number; height: number }> {
  const handle = await page.waitForFunction((alt) => {
    const doc = (globalThis as unknown as PageGlobals).document;
    const img = Array.from(doc.querySelectorAll("img.attachment-image") as ArrayLike<PageImage>)
      .find((i) => i.alt === alt && i.complete && i.naturalWidth > 0);
    return img ? { width: img.naturalWidth, height: img.naturalHeight } : null;
  }, name);
  return await handle.jsonValue() as { width: number; height: number };
}
