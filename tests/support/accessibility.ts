/**
 * Test support: what a page offers people who use a keyboard or a screen
 * reader, measured in the browser — the focus ring, controls without a
 * name, and the contrast of text against what is painted behind it.
 *
 * The in-page parts are strings, so they need no DOM types (see
 * page_globals.ts).
 *
 * @module
 */
import type { Page } from "playwright-core";
import { contrastRatio, over, parseColour, type Rgba } from "./colour.ts";

/** The focused element's outline, as computed: e.g. `{ style: "solid", width: 3 }`. */
export async function focusOutline(
  page: Page,
): Promise<{ id: string; style: string; width: number }> {
  return await page.evaluate(`(() => {
    const e = document.activeElement;
    const s = getComputedStyle(e);
    return { id: e.id, style: s.outlineStyle, width: parseFloat(s.outlineWidth) || 0 };
  })()`) as { id: string; style: string; width: number };
}

/**
 * Visible form controls and buttons with no accessible name (no label, no
 * `aria-label`, no `aria-labelledby`, no text), as `tag#id` strings.
 */
export async function unnamedControls(page: Page): Promise<string[]> {
  return await page.evaluate(`(() => {
    const named = (e) => {
      if ((e.getAttribute("aria-label") || "").trim()) return true;
      const by = e.getAttribute("aria-labelledby");
      if (by && by.split(/\\s+/).some((id) => (document.getElementById(id)?.textContent || "").trim())) return true;
      if (e.labels && Array.from(e.labels).some((l) => l.textContent.trim())) return true;
      return e.tagName === "BUTTON" && e.textContent.trim() !== "";
    };
    return Array.from(document.querySelectorAll("input, textarea, select, button, [role=combobox]"))
      .filter((e) => e.getClientRects().length > 0 && !named(e))
      .map((e) => e.tagName.toLowerCase() + "#" + e.id);
  })()`) as string[];
}

/** A text's colour against the colour behind it. */
export interface TextContrast {
  selector: string;
  text: Rgba;
  background: Rgba;
  ratio: number;
}

/**
 * The contrast of the first visible element matching `selector`: its text
 * colour against its background and its ancestors', painted over each other
 * (a transparent background shows its parent's).
 *
 * @throws {Error} if no visible element matches.
 */
export async function textContrast(page: Page, selector: string): Promise<TextContrast> {
  const found = await page.evaluate(`((selector) => {
    const e = Array.from(document.querySelectorAll(selector))
      .find((n) => n.getClientRects().length > 0);
    if (!e) return null;
    const layers = [];
    for (let n = e; n; n = n.parentElement) layers.push(getComputedStyle(n).backgroundColor);
    return { color: getComputedStyle(e).color, layers };
  })(${JSON.stringify(selector)})`) as { color: string; layers: string[] } | null;
  if (!found) throw new Error(`Cannot measure contrast: nothing visible matches ${selector}`);
  let background: Rgba = { r: 255, g: 255, b: 255, a: 1 };
  for (const layer of found.layers.reverse()) background = over(parseColour(layer), background);
  const text = over(parseColour(found.color), background);
  return { selector, text, background, ratio: contrastRatio(text, background) };
}

/** Every selector whose text falls under `minimum` (WCAG AA: 4.5), with its colours. */
export async function lowContrast(
  page: Page,
  selectors: string[],
  minimum = 4.5,
): Promise<string[]> {
  const low: string[] = [];
  for (const selector of selectors) {
    const c = await textContrast(page, selector);
    if (c.ratio < minimum) {
      const rgb = ({ r, g, b }: Rgba) => `rgb(${[r, g, b].map(Math.round).join(", ")})`;
      low.push(`${selector}: ${rgb(c.text)} on ${rgb(c.background)} is ${c.ratio.toFixed(2)}:1`);
    }
  }
  return low;
}
