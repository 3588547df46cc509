// The GUI page script, avatars: generated ones (initials on a colour of a fixed palette),
// the images the server sent, and the check of an avatar file when it is chosen. Runs in
// the scope page.js sets up (el, $); see page_assets.ts.
//
// deno-lint-ignore-file no-unused-vars -- names used only by the other parts look unused here

const MAX_AVATAR_BYTES = 256 * 1024;
/** Avatar images the server sent, by user key: URLs (token included) the page may load. */
const avatars = new Map();

// Well-separated hues, each dark enough for white initials at WCAG AA (4.5:1 or more), and
// at least 28 CIE76 ΔE apart (Cool and Fun were 4.4 apart): neighbours in a room are told apart at a glance.
const AVATAR_COLOURS = [
  "#c62828", // red
  "#b45309", // orange
  "#3f7d20", // green
  "#0e7490", // teal
  "#1d4ed8", // blue
  "#7e22ce", // violet
  "#be185d", // pink
  "#6d4c41", // brown
];

function userKey(name) {
  return name.normalize("NFKC").toLowerCase();
}

// FNV-1a, then murmur3's finaliser: FNV alone leaves the low bits of short, similar names
// alike ("cool" and "fun" differed by 12 of 360 hues), and the palette index is the low bits.
function nameHash(key) {
  let h = 2166136261;
  for (const ch of key) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 16777619);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The generated avatar's colour for a name: always the same one for the same name. */
function avatarColour(name) {
  return AVATAR_COLOURS[nameHash(userKey(name)) % AVATAR_COLOURS.length];
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
  node.style.backgroundColor = avatarColour(name);
  node.setAttribute("aria-hidden", "true");
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

// The same magic bytes as lib/shared/avatar.ts's imageType(): the bytes decide, not the name.
function imageTypeOf(bytes) {
  const at = (offset, values) => values.every((b, i) => bytes[offset + i] === b);
  const ascii = (text) => Array.from(text, (c) => c.charCodeAt(0));
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (at(0, [0xff, 0xd8, 0xff])) return "jpeg";
  if (at(0, ascii("GIF87a")) || at(0, ascii("GIF89a"))) return "gif";
  if (at(0, ascii("RIFF")) && at(8, ascii("WEBP"))) return "webp";
  return null;
}

/**
 * Why `file` cannot be an avatar, in the words of lib/shared/avatar.ts's avatarProblem()
 * (so the page says at once what the server would say on Join), or null if it can.
 */
async function avatarFileProblem(file) {
  const refuse = (why) => "The avatar " + file.name + " is not accepted: " + why + ".";
  if (file.size === 0) return refuse("it is empty");
  if (file.size > MAX_AVATAR_BYTES) {
    return refuse(
      "it is " + formatBytes(file.size) + ", over the limit of " +
        formatBytes(MAX_AVATAR_BYTES),
    );
  }
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  if (!imageTypeOf(head)) {
    const hex = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, "0"));
    return refuse(
      "it is not a PNG, JPEG, GIF or WebP image (it starts with bytes " + hex.join(" ") + ")",
    );
  }
  return null;
}
