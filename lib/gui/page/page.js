// The GUI page script, part 1: the WebSocket link to the client process and the join
// screen. avatars.js, chat.js and connection.js follow; page_assets.ts runs them all in one
// function scope, then calls updatePreview() and connect(). Text from users only ever reaches the page
// through textContent or attribute setters, never as HTML.
//
// deno-lint-ignore-file no-unused-vars -- names used only by chat.js or the start-up call look unused here

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);
const handlers = {};
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

const pad2 = (n) => String(n).padStart(2, "0");

/**
 * `HH:MM:SS` for a time of today, `YYYY-MM-DD HH:MM:SS` for any other day (e.g. history
 * entries from an earlier visit), in local time.
 */
function stamp(ts) {
  const d = new Date(ts);
  const time = [d.getHours(), d.getMinutes(), d.getSeconds()].map(pad2).join(":");
  if (d.toDateString() === new Date().toDateString()) return time;
  return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + " " + time;
}

/** A `<time>` element showing stamp(ts), with the full date for machines and tooltips. */
function timeNode(ts) {
  const node = el("time", "time", stamp(ts));
  const d = new Date(ts);
  if (!Number.isNaN(d.getTime())) {
    node.dateTime = d.toISOString();
    node.title = d.toLocaleString();
  }
  return node;
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

function avatarError(text) {
  const p = $("avatar-error");
  p.textContent = text || "";
  p.hidden = !text;
}

function updatePreview() {
  const slot = $("avatar-preview");
  if (avatarFile) {
    const img = el("img", "avatar");
    img.alt = "Your avatar";
    img.src = avatarUrl;
    const file = avatarFile;
    img.addEventListener("error", () => {
      if (avatarFile !== file) return;
      setAvatarFile(null);
      avatarError("The avatar " + file.name + " cannot be shown: the image is damaged.");
    });
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

// The avatar is checked when it is chosen, with the server's rules, so a bad one is never
// previewed and the reason shows beside it rather than on Join.
let avatarCheck = 0;
$("avatar-input").addEventListener("change", async () => {
  const file = $("avatar-input").files[0];
  if (!file) return;
  const check = ++avatarCheck;
  let problem;
  try {
    problem = await avatarFileProblem(file);
  } catch (error) {
    problem = "Cannot read the avatar " + file.name + ": " + error;
  }
  if (check !== avatarCheck) return; // another file was chosen meanwhile
  avatarError(problem);
  setAvatarFile(problem ? null : file);
});
$("avatar-choose").addEventListener("click", () => $("avatar-input").click());
$("avatar-clear").addEventListener("click", () => {
  setAvatarFile(null);
  avatarError("");
  $("avatar-choose").focus();
});
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

/**
 * A user in a list. The join screen's report says nothing of avatars and the page is not in
 * the room, so what it knows may be a departed namesake's: there `known` is false and the
 * generated avatar is shown.
 */
function userItem(name, note, known) {
  const li = el("li");
  const who = el("div", "who");
  who.append(el("span", "name", name));
  if (note) who.append(el("span", "addr", note));
  li.append(known ? avatarNode(name) : generatedAvatar(name), who);
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
    ...m.users.map((u) =>
      userItem(u.username, "IP: " + u.hostname + " and port: " + u.port, false)
    ),
  );
};

handlers["join-result"] = (m) => {
  $("join-button").disabled = false;
  if (m.ok) return;
  if (lost) reconnectFailed(m.text);
  else joinError(m.text);
};

function backToJoin(reason) {
  me = null;
  lost = null;
  showScreen("join");
  joinError(reason || "");
  $("quit-button").disabled = false;
  $("join-button").disabled = false;
  requestReport();
  $("username").focus();
}
handlers.left = () => {
  avatars.clear();
  backToJoin("");
};

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
    if (m.historyEnded) historyEnded();
  } else if (m.lost) {
    enterChat(m.lost.username);
    for (const entry of m.entries) appendEntry(entry);
    historyEnded();
    showLost(m.lost.reason);
  } else {
    backToJoin("");
  }
};
