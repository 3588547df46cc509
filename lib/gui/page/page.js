// The GUI page script, part 1: the WebSocket link to the client process, avatars and the
// join screen. Part 2 is chat.js; page_assets.ts runs both in one function scope, then
// calls updatePreview() and connect(). Text from users only ever reaches the page
// through textContent or attribute setters, never as HTML.
//
// deno-lint-ignore-file no-unused-vars -- names used only by chat.js or the start-up call look unused here

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const MAX_AVATAR_BYTES = 256 * 1024;
const $ = (id) => document.getElementById(id);
const handlers = {};
const avatars = new Map();
let ws = null;
let me = null;

function withToken(url) {
  return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function clock(ts) {
  const d = new Date(ts);
  return [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, "0")).join(":");
}

function formatBytes(n) {
  if (n < 1024) return n + " bytes";
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return (value < 10 ? value.toFixed(1) : String(Math.round(value))) + " " + units[unit];
}

function userKey(name) {
  return name.normalize("NFKC").toLowerCase();
}

// A colour from the name's FNV-1a hash, so a name always gets the same one.
function hue(key) {
  let h = 2166136261;
  for (const ch of key) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % 360;
}

function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "?";
  const first = (w) => Array.from(w)[0] || "";
  const text = words.length > 1
    ? first(words[0]) + first(words[1])
    : Array.from(words[0]).slice(0, 2).join("");
  return text.toUpperCase();
}

function generatedAvatar(name) {
  const node = el("div", "avatar generated", initials(name));
  node.style.backgroundColor = "hsl(" + hue(userKey(name)) + " 52% 46%)";
  return node;
}

function markAvatar(node, name) {
  node.dataset.avatarKey = userKey(name);
  node.dataset.avatarName = name;
  node.title = name;
  return node;
}

/** The avatar to show for a user: the one the server sent, else the generated one. */
function avatarNode(name) {
  const url = avatars.get(userKey(name));
  if (!url) return markAvatar(generatedAvatar(name), name);
  const img = el("img", "avatar");
  img.alt = "";
  img.src = url;
  img.addEventListener("error", () => img.replaceWith(markAvatar(generatedAvatar(name), name)));
  return markAvatar(img, name);
}

function refreshAvatars(key) {
  document.querySelectorAll("[data-avatar-key]").forEach((node) => {
    if (node.dataset.avatarKey === key) node.replaceWith(avatarNode(node.dataset.avatarName));
  });
}

function showBanner(text) {
  const banner = $("banner");
  banner.textContent = text;
  banner.hidden = false;
}

function connect() {
  ws = new WebSocket(withToken("ws://" + location.host + "/ws"));
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    const handler = handlers[message.t];
    if (handler) handler(message);
  });
  ws.addEventListener("close", () => {
    showBanner("Lost the connection to the chat client. Reload this page once it runs again.");
  });
}

function send(message) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  else showBanner("Not connected to the chat client. Reload this page once it runs again.");
}

function showScreen(name) {
  $("join-screen").hidden = name !== "join";
  $("chat-screen").hidden = name !== "chat";
}

// ---- Join screen ----
let avatarFile = null;
let avatarUrl = null;

function joinError(text) {
  const p = $("join-error");
  p.textContent = text || "";
  p.hidden = !text;
}

function updatePreview() {
  const slot = $("avatar-preview");
  if (avatarFile) {
    const img = el("img", "avatar");
    img.alt = "Your avatar";
    img.src = avatarUrl;
    slot.replaceChildren(img);
  } else {
    slot.replaceChildren(generatedAvatar($("username").value.trim() || "?"));
  }
  $("avatar-clear").hidden = !avatarFile;
}

function setAvatarFile(file) {
  if (avatarUrl) URL.revokeObjectURL(avatarUrl);
  avatarFile = file;
  avatarUrl = file ? URL.createObjectURL(file) : null;
  if (!file) $("avatar-input").value = "";
  updatePreview();
}

$("avatar-input").addEventListener("change", () => {
  const file = $("avatar-input").files[0];
  if (!file) return;
  if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type)) {
    joinError("The avatar must be a PNG, JPEG, GIF or WebP image; " + file.name + " is not.");
    return setAvatarFile(null);
  }
  if (file.size > MAX_AVATAR_BYTES) {
    joinError(
      "The avatar must be at most 256 KiB; " + file.name + " is " + formatBytes(file.size) + ".",
    );
    return setAvatarFile(null);
  }
  joinError("");
  setAvatarFile(file);
});
$("avatar-clear").addEventListener("click", () => setAvatarFile(null));
$("username").addEventListener("input", () => {
  if (!avatarFile) updatePreview();
});

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = $("username").value.trim();
  if (!username) return joinError("Please enter a username.");
  joinError("");
  $("join-button").disabled = true;
  const message = { t: "join", username };
  try {
    if (avatarFile) message.avatar = { name: avatarFile.name, data: await readBase64(avatarFile) };
  } catch (error) {
    $("join-button").disabled = false;
    return joinError("Cannot read the avatar " + avatarFile.name + ": " + error);
  }
  send(message);
});

function userItem(name, note) {
  const li = el("li");
  const who = el("div", "who");
  who.append(el("span", "name", name));
  if (note) who.append(el("span", "addr", note));
  li.append(avatarNode(name), who);
  return li;
}

function requestReport() {
  send({ t: "report" });
}
$("report-refresh").addEventListener("click", requestReport);

handlers.report = (m) => {
  $("report-summary").textContent = m.count === 1
    ? "There is 1 active user in the chatroom."
    : "There are " + m.count + " active users in the chatroom.";
  $("report-list").replaceChildren(
    ...m.users.map((u) => userItem(u.username, "IP: " + u.hostname + " and port: " + u.port)),
  );
};

handlers["join-result"] = (m) => {
  $("join-button").disabled = false;
  if (!m.ok) joinError(m.text);
};

function backToJoin(reason) {
  me = null;
  showScreen("join");
  joinError(reason || "");
  $("quit-button").disabled = false;
  $("join-button").disabled = false;
  requestReport();
}
handlers.left = () => backToJoin("");
handlers.disconnected = (m) => backToJoin(m.reason);

handlers.avatar = (m) => {
  if (m.url) avatars.set(m.key, withToken(m.url));
  else avatars.delete(m.key);
  refreshAvatars(m.key);
};

handlers.hello = (m) => {
  $("server-name").textContent = "Server " + m.server;
  avatars.clear();
  for (const a of m.avatars) avatars.set(a.key, withToken(a.url));
  if (m.username) {
    enterChat(m.username);
    for (const entry of m.entries) appendEntry(entry);
  } else {
    backToJoin("");
  }
};
