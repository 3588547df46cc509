/**
 * The GUI page's style sheet, embedded. Light and dark schemes; one column
 * below 760 px wide.
 *
 * @module
 */

/** The style sheet served as `/app.css`. */
export const PAGE_CSS = `
:root {
  --bg: #eef1f6; --panel: #ffffff; --text: #1d2330; --muted: #667085; --line: #dde2ea;
  --accent: #3f5bd8; --accent-text: #ffffff; --accent-soft: #e8ecfc; --danger: #c2303a;
  --mine: #eef2ff; --server: #f3f4f7; --shadow: 0 8px 30px rgba(20, 30, 60, .10);
  --radius: 14px; color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151c; --panel: #1b1f29; --text: #e6e9ef; --muted: #97a0b3; --line: #2c3240;
    --accent: #6f86ff; --accent-text: #0d1020; --accent-soft: #262d4a; --danger: #ff6b74;
    --mine: #222a45; --server: #232835; --shadow: 0 8px 30px rgba(0, 0, 0, .35);
  }
}
* { box-sizing: border-box; }
html, body { height: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
}
[hidden] { display: none !important; }
h1, h2 { margin: 0; }
h1 { font-size: 1.35rem; letter-spacing: -.01em; }
h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.logo { width: 34px; height: 34px; fill: var(--accent); flex: none; }
.logo circle { fill: var(--panel); }
.brand { display: flex; align-items: center; gap: 12px; }
.brand.small .logo { width: 26px; height: 26px; }
.brand.small h1 { font-size: 1.1rem; }
.sub, .hint { margin: 2px 0 0; color: var(--muted); font-size: .85rem; }
.error { margin: 8px 0 0; color: var(--danger); font-size: .9rem; }

.button, button.link {
  font: inherit; border: 0; border-radius: 10px; cursor: pointer;
}
.button { display: inline-flex; align-items: center; justify-content: center; padding: 9px 16px;
  font-weight: 600; white-space: nowrap; user-select: none; }
.button.primary { background: var(--accent); color: var(--accent-text); }
.button.primary:hover { filter: brightness(1.08); }
.button.secondary { background: var(--accent-soft); color: var(--accent); }
.button.danger { background: transparent; color: var(--danger); border: 1px solid var(--danger); padding: 7px 14px; }
.button.wide { width: 100%; margin-top: 16px; padding: 11px; }
.button:disabled { opacity: .55; cursor: default; }
button.link { background: none; color: var(--accent); padding: 0; font-size: .85rem; }
input, textarea {
  font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--line);
  border-radius: 10px; padding: 9px 12px; width: 100%; min-width: 0;
}
input:focus, textarea:focus { outline: 2px solid var(--accent); outline-offset: -1px; border-color: transparent; }
.field-label { display: block; font-weight: 600; margin: 18px 0 6px; }

.avatar { width: 36px; height: 36px; border-radius: 50%; flex: none; object-fit: cover; display: block;
  background: var(--line); }
.avatar.generated { display: grid; place-items: center; color: #fff; font-weight: 700; font-size: 14px;
  letter-spacing: .02em; text-shadow: 0 1px 1px rgba(0,0,0,.25); }
.avatar-slot.xl .avatar { width: 88px; height: 88px; font-size: 32px; }
.avatar-slot.sm .avatar { width: 28px; height: 28px; font-size: 11px; }
.avatar-slot { display: block; }

.join-screen { min-height: 100%; display: grid; place-items: center; padding: 24px 16px; }
.card { background: var(--panel); border-radius: var(--radius); box-shadow: var(--shadow); }
.join-card { width: min(440px, 100%); padding: 28px; }
.join-card form { margin-top: 22px; }
.avatar-pick { display: flex; gap: 18px; align-items: center; }
.avatar-actions { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; }
.report { margin-top: 24px; padding-top: 18px; border-top: 1px solid var(--line); }
.report-head { display: flex; justify-content: space-between; align-items: center; }
.user-list { list-style: none; margin: 10px 0 0; padding: 0; display: grid; gap: 8px; }
.user-list li { display: flex; align-items: center; gap: 10px; min-width: 0; }
.user-list .avatar { width: 28px; height: 28px; font-size: 11px; }
.user-list .who { display: flex; flex-direction: column; min-width: 0; }
.user-list .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.user-list .addr { color: var(--muted); font-size: .8rem; }

.chat-screen { height: 100vh; height: 100dvh; display: grid; grid-template-rows: auto 1fr auto auto; }
.topbar { display: flex; align-items: center; gap: 16px; padding: 10px 18px; background: var(--panel);
  border-bottom: 1px solid var(--line); }
.me { margin-left: auto; display: flex; align-items: center; gap: 8px; font-weight: 600; min-width: 0; }
.me span:last-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.chat-main { display: grid; grid-template-columns: 1fr 230px; min-height: 0; }
.messages { overflow-y: auto; padding: 18px 22px 8px; display: flex; flex-direction: column; gap: 4px; }
.members { border-left: 1px solid var(--line); background: var(--panel); padding: 18px 16px; overflow-y: auto; }

.message { display: flex; gap: 10px; padding: 8px 10px; border-radius: 12px; max-width: 860px; }
.message.mine { background: var(--mine); }
.message .body { min-width: 0; flex: 1; }
.message .meta { display: flex; align-items: baseline; gap: 8px; }
.message .name { font-weight: 700; }
.time { color: var(--muted); font-size: .78rem; font-variant-numeric: tabular-nums; }
.message .text { white-space: pre-wrap; overflow-wrap: anywhere; }
.attachment-image { display: block; margin-top: 6px; max-width: min(420px, 100%); max-height: 320px;
  border-radius: 10px; border: 1px solid var(--line); background: var(--server); }
.file-card { margin-top: 6px; border: 1px solid var(--line); border-radius: 10px; background: var(--panel);
  overflow: hidden; max-width: 620px; }
.file-card .file-head { display: flex; gap: 10px; align-items: baseline; padding: 7px 12px;
  background: var(--server); font-size: .85rem; }
.file-card .file-name { font-weight: 600; overflow-wrap: anywhere; }
.file-card .file-size { color: var(--muted); }
.file-card a { margin-left: auto; color: var(--accent); }
.file-card pre { margin: 0; padding: 10px 12px; white-space: pre-wrap; overflow-wrap: anywhere;
  font: 13px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; max-height: 260px; overflow-y: auto; }
.file-card .file-error { padding: 8px 12px; color: var(--danger); }
.announcement { align-self: center; margin: 6px 0; padding: 4px 14px; border-radius: 999px;
  background: var(--server); color: var(--muted); font-size: .85rem; text-align: center; }
.announcement .time { margin-right: 6px; }
.announcement.leave { font-style: italic; }
.system-line { align-self: center; color: var(--danger); font-size: .85rem; margin: 4px 0; }
.divider { display: flex; align-items: center; gap: 12px; color: var(--muted); font-size: .75rem;
  text-transform: uppercase; letter-spacing: .06em; margin: 10px 0; }
.divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid var(--line); }

.transfers { display: grid; gap: 6px; padding: 0 18px; }
.transfers:not(:empty) { padding: 8px 18px; border-top: 1px solid var(--line); background: var(--panel); }
.transfer { display: grid; grid-template-columns: minmax(0, 1fr) minmax(120px, 2fr) 3.5em; gap: 10px;
  align-items: center; font-size: .85rem; }
.transfer .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.transfer progress { width: 100%; height: 8px; appearance: none; border: 0; border-radius: 999px;
  overflow: hidden; background: var(--line); }
.transfer progress::-webkit-progress-bar { background: var(--line); border-radius: 999px; }
.transfer progress::-webkit-progress-value { background: var(--accent); border-radius: 999px; }
.transfer progress::-moz-progress-bar { background: var(--accent); border-radius: 999px; }
.transfer .pct { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }

.composer { background: var(--panel); border-top: 1px solid var(--line); padding: 12px 18px 14px;
  display: grid; gap: 10px; }
.composer-row { display: flex; gap: 10px; align-items: flex-end; }
.composer textarea { resize: none; max-height: 9em; line-height: 1.4; }
.file-search { position: relative; flex: 1; min-width: 0; }
.suggestions { position: absolute; left: 0; right: 0; bottom: calc(100% + 6px); margin: 0; padding: 6px;
  list-style: none; background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  box-shadow: var(--shadow); max-height: 240px; overflow-y: auto; z-index: 5; }
.suggestions li { padding: 6px 10px; border-radius: 7px; cursor: pointer; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
.suggestions li[aria-selected="true"], .suggestions li:hover { background: var(--accent-soft); }
.suggestions .empty { color: var(--muted); cursor: default; background: none !important; }
.banner { position: fixed; top: 12px; left: 50%; transform: translateX(-50%); z-index: 10;
  background: var(--danger); color: #fff; padding: 9px 16px; border-radius: 10px; box-shadow: var(--shadow);
  max-width: calc(100% - 24px); }

@media (max-width: 760px) {
  .chat-main { grid-template-columns: 1fr; }
  .members { display: none; }
  .messages { padding: 12px 10px 6px; }
  .topbar { padding: 8px 12px; gap: 10px; }
  .composer { padding: 10px 12px 12px; }
  .files-row { flex-wrap: wrap; }
  .files-row .file-search { order: -1; flex-basis: 100%; }
  .files-row #send-file { margin-left: auto; }
  .transfer { grid-template-columns: minmax(0, 1fr) 3.5em; }
  .transfer progress { grid-column: 1 / -1; grid-row: 2; }
}
`;
