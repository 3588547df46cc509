/**
 * Test support: computed styles of the elements a Playwright locator
 * matches, read in the page (typed without the DOM library; see
 * page_globals.ts).
 *
 * @module
 */
import type { Locator } from "playwright-core";

/** The page's `getComputedStyle`, as the in-page callbacks use it. */
interface StyleGlobals {
  getComputedStyle(element: unknown): Record<string, string>;
}

/** The computed `properties` (camelCase, e.g. `backgroundColor`) of every element `locator` matches. */
export async function computedStyles(
  locator: Locator,
  properties: string[],
): Promise<Record<string, string>[]> {
  return await locator.evaluateAll((elements, names) =>
    elements.map((element) => {
      const style = (globalThis as unknown as StyleGlobals).getComputedStyle(element);
      return Object.fromEntries(names.map((name) => [name, style[name]]));
    }), properties);
}

/** The computed `properties` of the one element `locator` matches. */
export async function computedStyle(
  locator: Locator,
  properties: string[],
): Promise<Record<string, string>> {
  const [style] = await computedStyles(locator.first(), properties);
  if (!style) throw new Error(`Cannot read the style of ${locator}: it matches no element`);
  return style;
}
