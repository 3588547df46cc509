/**
 * Test support: the little of the DOM that in-page test callbacks use, typed
 * without pulling the DOM library into Deno's type check (it clashes with
 * Deno's own globals). Callbacks passed to `page.evaluate()` read
 * `(globalThis as unknown as PageGlobals).document`; the cast is erased
 * before Playwright ships the function to the page.
 *
 * @module
 */

/** An element, as far as the tests look at it. */
export interface PageElement {
  readonly tagName: string;
  readonly className: string;
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}

/** An `<img>`. */
export interface PageImage extends PageElement {
  readonly alt: string;
  readonly src: string;
  readonly complete: boolean;
  readonly naturalWidth: number;
  readonly naturalHeight: number;
}

/** The page's globals the tests read. */
export interface PageGlobals {
  document: {
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): ArrayLike<PageElement>;
  };
  [name: string]: unknown;
}
