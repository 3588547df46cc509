/**
 * Test support: driving the GUI page with the keyboard only, as someone
 * who cannot use a mouse would.
 *
 * @module
 */
import type { Page } from "playwright-core";

/** The `id` of the focused element ("" if it has none, or the body has the focus). */
export async function focusedId(page: Page): Promise<string> {
  // A string, so the callback needs no DOM types (see page_globals.ts).
  return await page.evaluate("document.activeElement ? document.activeElement.id : ''") as string;
}

/**
 * Presses Tab (Shift+Tab if `backwards`) until the element with id `id` has
 * the focus, at most `limit` times; throws, listing where the focus went, if
 * it never gets there (the control is not reachable by keyboard).
 */
export async function tabTo(
  page: Page,
  id: string,
  options: { backwards?: boolean; limit?: number } = {},
): Promise<void> {
  const visited: string[] = [];
  for (let i = 0; i < (options.limit ?? 40); i++) {
    if (await focusedId(page) === id) return;
    await page.keyboard.press(options.backwards ? "Shift+Tab" : "Tab");
    visited.push(await focusedId(page) || "(no id)");
  }
  if (await focusedId(page) === id) return;
  throw new Error(`Cannot reach #${id} with Tab; the focus went to ${visited.join(", ")}`);
}

const intercepting = new WeakSet<Page>();

/**
 * Presses `key` (e.g. Enter) on the focused control, which should open a
 * file chooser, and picks `path` in it. Playwright intercepts choosers only
 * once a listener is registered, and that reaches the browser after a
 * round trip: a key pressed right after can open an unintercepted one.
 */
export async function chooseFileWithKey(page: Page, key: string, path: string): Promise<void> {
  if (!intercepting.has(page)) {
    page.on("filechooser", () => {});
    await page.evaluate("0");
    intercepting.add(page);
  }
  const [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.keyboard.press(key)]);
  await chooser.setFiles(path);
}
