// The GUI page script, part 4: who is in the room (the member list, a drawer on narrow
// screens) and what happens when the chat server goes away: the conversation stays on
// screen, the page says why, and offers to reconnect. Runs in the scope page.js sets up.
//
// deno-lint-ignore-file no-unused-vars -- names used only by the other parts look unused here

/** Why the session ended, while the chat screen still shows it: `{ reason }`, else null. */
let lost = null;
/** The server's last live notice (e.g. "The server is shutting down."), if any. */
let lastNotice = "";

// ---- Members ----
function showMembers(users) {
  $("member-list").replaceChildren(
    ...users.map((u) => userItem(u.username, isMe(u.username) ? "you" : "", true)),
  );
  $("member-count").textContent = users.length ? "(" + users.length + ")" : "";
}

function setMembersOpen(open) {
  $("chat-main").classList.toggle("show-members", open);
  $("members-toggle").setAttribute("aria-expanded", String(open));
}

$("members-toggle").addEventListener("click", () => {
  const open = $("members-toggle").getAttribute("aria-expanded") !== "true";
  setMembersOpen(open);
  if (open) $("members").focus();
});
$("members").tabIndex = -1;
$("members").addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !$("chat-main").classList.contains("show-members")) return;
  setMembersOpen(false);
  $("members-toggle").focus();
});

// ---- A session that ended under us ----
function composerEnabled(enabled) {
  for (const id of ["message", "send-button", "file-choose", "file-name", "send-file"]) {
    $(id).disabled = !enabled;
  }
  $("quit-button").hidden = !enabled;
}

function showLost(reason) {
  lost = { reason };
  const notice = lastNotice && lastNotice !== reason ? lastNotice + " " : "";
  $("lost-reason").textContent = notice + reason;
  $("reconnect").textContent = "Reconnect as " + me;
  $("reconnect").disabled = false;
  reconnectFailed("");
  $("lost").hidden = false;
  composerEnabled(false);
  showMembers([]);
  closeSuggestions();
  $("reconnect").focus();
}

function hideLost() {
  lost = null;
  lastNotice = "";
  $("lost").hidden = true;
  composerEnabled(true);
}

function reconnectFailed(text) {
  const p = $("lost-error");
  p.textContent = text || "";
  p.hidden = !text;
  $("reconnect").disabled = false;
}

/** Notes the server's live notices, so a lost connection can say what the server said. */
function noteEntry(entry) {
  if (entry.kind === "notice" && !entry.history) lastNotice = entry.text;
}

handlers.disconnected = (m) => {
  // Nothing is cleared: the conversation stays readable, with the reason under it.
  showLost(m.reason);
};

$("reconnect").addEventListener("click", async () => {
  if (!lost || !me) return;
  reconnectFailed("");
  $("reconnect").disabled = true;
  const message = { t: "join", username: me };
  try {
    if (avatarFile) message.avatar = { name: avatarFile.name, data: await readBase64(avatarFile) };
  } catch (error) {
    return reconnectFailed("Cannot read the avatar " + avatarFile.name + ": " + error);
  }
  send(message);
});

$("lost-leave").addEventListener("click", () => {
  const name = me;
  hideLost();
  avatars.clear();
  send({ t: "dismiss" }); // a reload shows the join screen too
  backToJoin("");
  if (name) $("username").value = name;
  updatePreview();
});
