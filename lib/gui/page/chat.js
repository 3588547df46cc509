// The GUI page script, part 3: messages, the composer, the file box and transfer
// progress. It runs in the scope page.js sets up (el, send, avatarNode, handlers, ...);
// see page_assets.ts. User text only ever goes through textContent.

// ---- Chat screen ----
const messages = $("messages");
const box = $("message");
const nameBox = $("file-name");
const suggestions = $("file-suggestions");
const SHOW_TRANSFERS_FROM = 256 * 1024;
let hasHistory = false;
let liveStarted = false;
let fileNames = [];
let picked = null;
let selected = -1;

function isMe(name) {
  return me !== null && userKey(name) === userKey(me);
}

function enterChat(username) {
  me = username;
  hasHistory = false;
  liveStarted = false;
  messages.replaceChildren();
  // The replayed history is not read out line by line; live lines are (the log is aria-live).
  messages.setAttribute("aria-busy", "true");
  showMembers([]);
  $("transfers").replaceChildren();
  $("me-name").textContent = username;
  $("me-avatar").replaceChildren(avatarNode(username));
  joinError("");
  hideLost();
  showScreen("chat");
  box.focus();
}

function historyEnded() {
  messages.removeAttribute("aria-busy");
  scrollDown();
}

function nearBottom() {
  return messages.scrollHeight - messages.scrollTop - messages.clientHeight < 120;
}
function scrollDown() {
  messages.scrollTop = messages.scrollHeight;
}

function appendEntry(entry) {
  const stick = nearBottom();
  noteEntry(entry);
  if (entry.history) hasHistory = true;
  else if (!liveStarted) {
    liveStarted = true;
    if (hasHistory) messages.append(el("div", "divider", "History above"));
  }
  messages.append(renderEntry(entry, stick));
  if (stick) scrollDown();
}

function systemLine(text) {
  appendEntry({ kind: "error", ts: Date.now(), sender: "", text, history: false });
}

function renderEntry(e, stick) {
  if (e.kind === "join" || e.kind === "leave" || e.kind === "notice") {
    const line = el("div", "announcement " + e.kind);
    line.append(timeNode(e.ts), el("span", "text", e.text));
    return line;
  }
  if (e.kind === "error") return el("div", "system-line", e.text);
  const row = el("div", "message" + (isMe(e.sender) ? " mine" : ""));
  row.dataset.sender = e.sender;
  const body = el("div", "body");
  const meta = el("div", "meta");
  meta.append(el("span", "name", e.sender), timeNode(e.ts));
  body.append(meta);
  body.append(e.kind === "file" ? renderFile(e.file, stick) : el("div", "text", e.text));
  row.append(avatarNode(e.sender), body);
  return row;
}

// Every attachment says what it is: its name, its size and a Download link; an image is
// shown above that line, a small text file's content below it.
function renderFile(f, stick) {
  const isImage = f.show === "image" && f.url;
  const card = el(isImage ? "figure" : "div", isImage ? "file-card image-card" : "file-card");
  const head = el(isImage ? "figcaption" : "div", "file-head");
  head.append(el("span", "file-name", f.name), el("span", "file-size", formatBytes(f.size)));
  if (f.url) {
    const link = el("a", "download", "Download");
    link.href = withToken(f.url);
    link.download = f.name;
    link.setAttribute("aria-label", "Download " + f.name);
    head.append(link);
  }
  if (isImage) {
    const view = el("a", "image-link");
    view.href = withToken(f.url);
    view.target = "_blank";
    view.rel = "noopener";
    view.title = "Open " + f.name + " (" + formatBytes(f.size) + ")";
    const img = el("img", "attachment-image");
    img.alt = f.name;
    img.src = withToken(f.url);
    img.addEventListener("load", () => {
      if (stick) scrollDown();
    });
    view.append(img);
    card.append(view, head);
    return card;
  }
  card.append(head);
  if (f.error) card.append(el("div", "file-error", "It could not be saved: " + f.error));
  else if (f.show === "text") card.append(el("pre", "", f.text));
  return card;
}

handlers.joined = (m) => {
  // A new join starts from the avatars the server sends now, as the client process does:
  // one kept from an earlier visit could belong to someone else under that name by now.
  avatars.clear();
  enterChat(m.username);
};
handlers.entry = (m) => appendEntry(m.entry);
handlers["history-end"] = () => historyEnded();
handlers.problem = (m) => {
  if ($("chat-screen").hidden) joinError(m.text);
  else systemLine(m.text);
};
handlers.members = (m) => showMembers(m.users);

$("quit-button").addEventListener("click", () => {
  $("quit-button").disabled = true;
  send({ t: "quit" });
});

// ---- Composer ----
function autosize() {
  box.style.height = "auto";
  box.style.height = Math.min(box.scrollHeight + 2, 160) + "px";
}

function sendMessage() {
  const text = box.value;
  if (text.trim() === "") return;
  send({ t: "say", text });
  box.value = "";
  autosize();
  box.focus();
}

box.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    sendMessage();
  }
});
box.addEventListener("input", autosize);
$("message-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sendMessage();
});

// ---- File box: search attachments/ or pick a file ----
function matches() {
  const query = nameBox.value.trim().toLowerCase();
  return fileNames.filter((n) => n.toLowerCase().includes(query)).slice(0, 50);
}

function renderSuggestions() {
  const found = matches();
  if (found.length === 0) {
    const empty = fileNames.length
      ? "No file in attachments/ matches"
      : "attachments/ has no files";
    return suggestions.replaceChildren(el("li", "empty", empty));
  }
  suggestions.replaceChildren(...found.map((name, i) => {
    const li = el("li", "", name);
    li.dataset.name = name;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === selected));
    li.addEventListener("mousedown", (event) => {
      event.preventDefault();
      choose(name);
    });
    return li;
  }));
}

function openSuggestions() {
  if (document.activeElement !== nameBox) return;
  renderSuggestions();
  suggestions.hidden = false;
  nameBox.setAttribute("aria-expanded", "true");
}

function closeSuggestions() {
  suggestions.hidden = true;
  nameBox.setAttribute("aria-expanded", "false");
  selected = -1;
}

function choose(name) {
  nameBox.value = name;
  picked = null;
  $("file-input").value = "";
  closeSuggestions();
}

nameBox.addEventListener("focus", () => {
  send({ t: "files" });
  openSuggestions();
});
nameBox.addEventListener("blur", closeSuggestions);
nameBox.addEventListener("input", () => {
  if (picked && nameBox.value !== picked.name) {
    picked = null;
    $("file-input").value = "";
  }
  selected = -1;
  openSuggestions();
});
nameBox.addEventListener("keydown", (event) => {
  if (suggestions.hidden) return;
  const items = suggestions.querySelectorAll("li[data-name]");
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const step = event.key === "ArrowDown" ? 1 : -1;
    selected = Math.max(0, Math.min(items.length - 1, selected + step));
    items.forEach((li, i) => li.setAttribute("aria-selected", String(i === selected)));
  } else if (event.key === "Enter" && items[selected]) {
    event.preventDefault();
    choose(items[selected].dataset.name);
  } else if (event.key === "Escape") {
    closeSuggestions();
  }
});
handlers.files = (m) => {
  fileNames = m.names;
  if (!suggestions.hidden) renderSuggestions();
};

$("file-choose").addEventListener("click", () => $("file-input").click());
$("file-input").addEventListener("change", () => {
  const file = $("file-input").files[0];
  if (!file) return;
  picked = file;
  nameBox.value = file.name;
  closeSuggestions();
});

$("file-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = nameBox.value.trim();
  if (!name) return systemLine("Choose a file, or type the name of one in attachments/.");
  if (picked && picked.name === nameBox.value) uploadPicked(picked);
  else send({ t: "send-file", name });
  picked = null;
  nameBox.value = "";
  $("file-input").value = "";
  closeSuggestions();
});

// A file picked in the browser goes to the client process over HTTP first,
// then the client streams it to the chat server (with its own progress).
function uploadPicked(file) {
  const xhr = new XMLHttpRequest();
  xhr.open("POST", withToken("/upload?name=" + encodeURIComponent(file.name)));
  xhr.upload.addEventListener("progress", (event) => {
    if (!event.lengthComputable) return;
    const label = "Preparing " + file.name + " (" + formatBytes(event.total) + ")";
    showTransfer("prepare", label, event.loaded, event.total);
  });
  xhr.addEventListener("load", () => {
    endTransfer("prepare");
    if (xhr.status === 200) return;
    let text = "Cannot send " + file.name + " (HTTP " + xhr.status + ")";
    try {
      text = JSON.parse(xhr.responseText).error || text;
    } catch (_) { /* not JSON: keep the status */ }
    systemLine(text);
  });
  xhr.addEventListener("error", () => {
    endTransfer("prepare");
    systemLine("Cannot send " + file.name + ": the chat client did not answer.");
  });
  xhr.send(file);
}

// ---- Transfer progress ----
function showTransfer(key, label, done, total) {
  if (done >= total) return endTransfer(key);
  if (total < SHOW_TRANSFERS_FROM) return;
  let row = $("transfer-" + key);
  if (!row) {
    row = el("div", "transfer");
    row.id = "transfer-" + key;
    row.append(el("span", "label"), el("progress"), el("span", "pct"));
    $("transfers").append(row);
  }
  row.querySelector(".label").textContent = label;
  const bar = row.querySelector("progress");
  bar.max = total;
  bar.value = done;
  row.querySelector(".pct").textContent = Math.floor((done * 100) / total) + "%";
}

function endTransfer(key) {
  const row = $("transfer-" + key);
  if (row) row.remove();
}

handlers.progress = (m) => {
  const verb = m.direction === "upload" ? "Sending " : "Receiving ";
  const key = m.id === undefined ? m.direction : m.direction + "-" + m.id;
  showTransfer(key, verb + m.name + " (" + formatBytes(m.total) + ")", m.done, m.total);
};
