/**
 * The GUI page's files, embedded as text so the client ships as one program
 * (`deno run`, `deno bundle` and `deno compile` all inline them): the HTML,
 * the style sheet (`page.css`, then `chat.css`), and the script, which is
 * `page.js` (the WebSocket link, the join screen), `avatars.js` (generated
 * avatars, the avatar check), `chat.js` (the chat screen) and `status.js`
 * (the member list, a lost connection) run in one function scope.
 *
 * The page holds no user data: the script fills it in with `textContent`
 * and attribute setters only, never as HTML.
 *
 * @module
 */
import html from "./page.html" with { type: "text" };
import css from "./page.css" with { type: "text" };
import chatCss from "./chat.css" with { type: "text" };
import coreJs from "./page.js" with { type: "text" };
import avatarsJs from "./avatars.js" with { type: "text" };
import chatJs from "./chat.js" with { type: "text" };
import statusJs from "./status.js" with { type: "text" };

/** Where the page's HTML puts the launch's token. */
const TOKEN_SLOT = "{{TOKEN}}";

/** The style sheet served as `/app.css`: the page's, then the chat screen's. */
export const PAGE_CSS: string = `${css}\n${chatCss}`;

/** The script served as `/app.js`: both parts in one scope, then started. */
export const PAGE_JS: string = [
  '"use strict";',
  "(() => {",
  coreJs,
  avatarsJs,
  chatJs,
  statusJs,
  "updatePreview();",
  "connect();",
  "})();",
  "",
].join("\n");

/**
 * The page, with `token` put into the URLs of its script and style sheet.
 *
 * @throws {Error} if `token` is not base64url (it is put into HTML as is).
 */
export function pageHtml(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new Error(`Cannot build the page: token ${JSON.stringify(token)} is not base64url`);
  }
  return html.replaceAll(TOKEN_SLOT, token);
}
