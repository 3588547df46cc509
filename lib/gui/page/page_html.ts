/**
 * The GUI page's HTML, embedded so the client ships as one program. It
 * holds no user data: the script fills it in with `textContent` only.
 *
 * @module
 */

const LOGO = `<svg class="logo" viewBox="0 0 32 32" aria-hidden="true">
  <path d="M6 5h20a3 3 0 0 1 3 3v12a3 3 0 0 1-3 3H14l-6 5v-5H6a3 3 0 0 1-3-3V8a3 3 0 0 1 3-3z"/>
  <circle cx="11" cy="14" r="1.8"/><circle cx="16" cy="14" r="1.8"/><circle cx="21" cy="14" r="1.8"/>
</svg>`;

/**
 * The page, with `token` put into the URLs of its script and style sheet.
 *
 * @throws {Error} if `token` is not base64url (it is put into HTML as is).
 */
export function pageHtml(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new Error(`Cannot build the page: token ${JSON.stringify(token)} is not base64url`);
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chatroom</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css?token=${token}">
</head>
<body>
<div id="banner" class="banner" role="alert" hidden></div>

<section id="join-screen" class="screen join-screen">
  <div class="card join-card">
    <header class="brand">${LOGO}<div><h1>Chatroom</h1><p class="sub" id="server-name"></p></div></header>
    <form id="join-form" autocomplete="off" novalidate>
      <div class="avatar-pick">
        <div id="avatar-preview" class="avatar-slot xl"></div>
        <div class="avatar-actions">
          <label class="button secondary" for="avatar-input">Choose avatar…</label>
          <input type="file" id="avatar-input" accept="image/png,image/jpeg,image/gif,image/webp" hidden>
          <button type="button" id="avatar-clear" class="link" hidden>Use the generated avatar</button>
          <p class="hint" id="avatar-hint">PNG, JPEG, GIF or WebP up to 256 KiB. Without one, you get the generated avatar.</p>
        </div>
      </div>
      <label class="field-label" for="username">Username</label>
      <input id="username" name="username" maxlength="32" placeholder="e.g. Cool" autofocus>
      <p id="join-error" class="error" role="alert" hidden></p>
      <button id="join-button" class="button primary wide" type="submit">Join the chatroom</button>
    </form>
    <section class="report" aria-labelledby="report-title">
      <div class="report-head">
        <h2 id="report-title">Active users</h2>
        <button type="button" id="report-refresh" class="link">Refresh</button>
      </div>
      <p id="report-summary" class="hint"></p>
      <ul id="report-list" class="user-list"></ul>
    </section>
  </div>
</section>

<section id="chat-screen" class="screen chat-screen" hidden>
  <header class="topbar">
    <div class="brand small">${LOGO}<h1>Chatroom</h1></div>
    <div class="me"><span id="me-avatar" class="avatar-slot sm"></span><span id="me-name"></span></div>
    <button id="quit-button" class="button danger" type="button">Quit</button>
  </header>
  <div class="chat-main">
    <main id="messages" class="messages" aria-live="polite"></main>
    <aside class="members">
      <h2>In the room</h2>
      <ul id="member-list" class="user-list"></ul>
    </aside>
  </div>
  <div id="transfers" class="transfers"></div>
  <footer class="composer">
    <form id="message-form" class="composer-row">
      <textarea id="message" rows="1" maxlength="60000" placeholder="Type a message"
        title="Enter sends; Shift+Enter starts a new line" aria-label="Message"></textarea>
      <button id="send-button" class="button primary" type="submit">Send</button>
    </form>
    <form id="file-form" class="composer-row files-row" autocomplete="off">
      <label class="button secondary" for="file-input">Choose file…</label>
      <input type="file" id="file-input" hidden>
      <div class="file-search">
        <input id="file-name" placeholder="Search attachments/ or type a file name" aria-label="File name"
          role="combobox" aria-autocomplete="list" aria-controls="file-suggestions" aria-expanded="false">
        <ul id="file-suggestions" class="suggestions" role="listbox" hidden></ul>
      </div>
      <button id="send-file" class="button primary" type="submit">Send File</button>
    </form>
  </footer>
</section>
<script src="/app.js?token=${token}"></script>
</body>
</html>
`;
}
