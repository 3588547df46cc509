-- Wireshark dissector for the chatroom protocol, version 1 (docs/PROTOCOL.md).
--
-- Install: copy this file into Wireshark's personal Lua plugins folder
-- (Help > About Wireshark > Folders > Personal Lua Plugins), or run
--   tshark -X lua_script:wireshark/chatroom.lua ...
-- See docs/WIRESHARK.md.
--
-- Registered on TCP port 18000 (preference "chatroom.tcp_port") and offered in
-- Decode As for any other port. Frames are found with the length fields: a
-- header is 33 fixed bytes plus the USERNAME, SENDER, FILENAME and SHA256
-- lengths, then PAYLOAD_LENGTH payload bytes.
--
-- Reassembly. A header is always reassembled whole, across as many TCP
-- segments as it takes. A payload up to the "reassembly limit" preference
-- (1 MiB by default; every non-attachment payload the protocol allows) is
-- reassembled with its header, so chatroom.payload holds all of it. A larger
-- payload (a big attachment) is not buffered: the header is dissected as soon
-- as it is complete, chatroom.payload holds the bytes in that segment, and
-- later segments are counted off against PAYLOAD_LENGTH and shown as
-- "payload continued" until the next header. Wireshark then never holds more
-- than one segment of a 300 MiB attachment.

local chatroom = Proto("chatroom", "Chatroom Protocol (CS 436)")

local FIXED_HEADER = 33
local MAX_NAME = 64
local MAX_FILENAME = 1024
local SHA256_BYTES = 32
local MAX_MESSAGE_PAYLOAD = 1024 * 1024
local MAX_SAFE_LENGTH = 9007199254740991 -- 2^53 - 1

-- Flags, bit 0 first, with the field name each gets.
local FLAGS = {
  { "REPORT_REQUEST", "report_request_flag", 0x0001, "REPORT_REQUEST_FLAG" },
  { "REPORT_RESPONSE", "report_response_flag", 0x0002, "REPORT_RESPONSE_FLAG" },
  { "JOIN_REQUEST", "join_request_flag", 0x0004, "JOIN_REQUEST_FLAG" },
  { "JOIN_REJECT", "join_reject_flag", 0x0008, "JOIN_REJECT_FLAG" },
  { "JOIN_ACCEPT", "join_accept_flag", 0x0010, "JOIN_ACCEPT_FLAG" },
  { "NEW_USER", "new_user_flag", 0x0020, "NEW_USER_FLAG" },
  { "QUIT_REQUEST", "quit_request_flag", 0x0040, "QUIT_REQUEST_FLAG" },
  { "QUIT_ACCEPT", "quit_accept_flag", 0x0080, "QUIT_ACCEPT_FLAG" },
  { "ATTACHMENT", "attachment_flag", 0x0100, "ATTACHMENT_FLAG" },
  { "HISTORY", "history_flag", 0x0200, "HISTORY (ours: a replayed history entry)" },
  { "ERROR", "error_flag", 0x0400, "ERROR (ours: something was refused)" },
  { "AVATAR", "avatar_flag", 0x0800, "AVATAR (ours: a user's avatar image)" },
  { "NOTICE", "notice_flag", 0x1000, "NOTICE (ours: a server announcement)" },
  { "ECHO", "echo_flag", 0x2000, "ECHO (ours: your own attachment, stored)" },
  { "STREAM", "stream_flag", 0x4000, "STREAM (ours: an attachment as it arrives)" },
}
local KNOWN_FLAGS = 0x7fff
local FLAG = {}
for _, f in ipairs(FLAGS) do FLAG[f[1]] = f[3] end

local CODES = {
  [0] = "NONE",
  [1] = "ROOM_FULL",
  [2] = "USERNAME_TAKEN",
  [3] = "INVALID_USERNAME",
  [4] = "NOT_JOINED",
  [5] = "ALREADY_JOINED",
  [6] = "ATTACHMENT_TOO_LARGE",
  [7] = "ATTACHMENT_HASH_MISMATCH",
  [8] = "BAD_FILENAME",
  [9] = "MESSAGE_TOO_LARGE",
  [10] = "INVALID_TEXT",
  [11] = "SERVER_BUSY",
  [12] = "SERVER_ERROR",
  [13] = "SHUTTING_DOWN",
  [14] = "INVALID_AVATAR",
  [15] = "ATTACHMENT_NO_DIGEST",
  [16] = "ATTACHMENT_DISCARDED",
  [100] = "BAD_MAGIC",
  [101] = "UNSUPPORTED_VERSION",
  [102] = "BAD_HEADER",
  [103] = "PAYLOAD_TOO_LARGE",
  [104] = "TRUNCATED",
  [105] = "BAD_FRAME",
  [106] = "TIMEOUT",
}

-- Fields -------------------------------------------------------------------

local F = {
  magic = ProtoField.string("chatroom.magic", "Magic"),
  version = ProtoField.uint8("chatroom.version", "Version", base.DEC),
  reserved = ProtoField.uint8("chatroom.reserved", "Reserved", base.HEX),
  flags = ProtoField.uint16("chatroom.flags", "Flags", base.HEX),
  code = ProtoField.uint16("chatroom.code", "Code", base.DEC, CODES),
  number = ProtoField.uint32("chatroom.number", "NUMBER", base.DEC),
  timestamp = ProtoField.absolute_time("chatroom.timestamp", "Timestamp", base.UTC),
  timestamp_ms = ProtoField.uint64("chatroom.timestamp_ms", "Timestamp (ms since 1970)", base.DEC),
  payload_length = ProtoField.uint64("chatroom.payload_length", "PAYLOAD_LENGTH", base.DEC),
  username_length = ProtoField.uint8("chatroom.username_length", "USERNAME length (u)", base.DEC),
  sender_length = ProtoField.uint8("chatroom.sender_length", "SENDER length (s)", base.DEC),
  filename_length = ProtoField.uint16("chatroom.filename_length", "FILENAME length (f)", base.DEC),
  sha256_length = ProtoField.uint8("chatroom.sha256_length", "SHA256 length (h)", base.DEC),
  username = ProtoField.string("chatroom.username", "USERNAME", base.UNICODE),
  sender = ProtoField.string("chatroom.sender", "Sender", base.UNICODE),
  filename = ProtoField.string("chatroom.filename", "FILENAME", base.UNICODE),
  sha256 = ProtoField.bytes("chatroom.sha256", "SHA-256"),
  payload = ProtoField.bytes("chatroom.payload", "PAYLOAD"),
  text = ProtoField.string("chatroom.text", "Text", base.UNICODE),
  kind = ProtoField.string("chatroom.kind", "Frame type"),
  streamed = ProtoField.bool("chatroom.payload_streamed", "Payload continues in later segments"),
  continuation = ProtoField.bytes("chatroom.continuation", "Payload continued"),
  continuation_of = ProtoField.framenum("chatroom.continuation_of", "Header in frame"),
  continuation_offset = ProtoField.uint64("chatroom.continuation_offset", "Payload offset", base.DEC),
  payload_end = ProtoField.framenum("chatroom.payload_end", "Payload ends in frame"),
  garbage = ProtoField.bytes("chatroom.undecoded", "Undecoded bytes"),
}
for _, f in ipairs(FLAGS) do
  F[f[2]] = ProtoField.uint16("chatroom." .. f[2], f[4], base.DEC, nil, f[3])
end
F.unknown_flags = ProtoField.uint16("chatroom.unknown_flags", "Undefined bit 15", base.HEX, nil, 0x8000)

local field_list = {}
for _, f in pairs(F) do field_list[#field_list + 1] = f end
chatroom.fields = field_list

local E = {
  bad_magic = ProtoExpert.new("chatroom.bad_magic", "Bad magic: not a chatroom frame",
    expert.group.MALFORMED, expert.severity.ERROR),
  bad_version = ProtoExpert.new("chatroom.bad_version", "Unsupported protocol version",
    expert.group.MALFORMED, expert.severity.ERROR),
  bad_header = ProtoExpert.new("chatroom.bad_header", "Malformed header",
    expert.group.MALFORMED, expert.severity.ERROR),
  cut_short = ProtoExpert.new("chatroom.cut_short", "Frame cut short",
    expert.group.MALFORMED, expert.severity.ERROR),
  after_error = ProtoExpert.new("chatroom.after_error", "Bytes after a malformed frame",
    expert.group.MALFORMED, expert.severity.WARN),
  too_large = ProtoExpert.new("chatroom.too_large", "Payload over the protocol's limit",
    expert.group.PROTOCOL, expert.severity.WARN),
  gap = ProtoExpert.new("chatroom.gap", "Bytes missing from the capture",
    expert.group.SEQUENCE, expert.severity.WARN),
  refused = ProtoExpert.new("chatroom.refused", "The server refused something",
    expert.group.RESPONSE_CODE, expert.severity.NOTE),
}
chatroom.experts = { E.bad_magic, E.bad_version, E.bad_header, E.cut_short, E.after_error,
  E.too_large, E.gap, E.refused }

chatroom.prefs.tcp_port = Pref.uint("TCP port", 18000, "The server's TCP port")
chatroom.prefs.reassemble_limit = Pref.uint("Reassembly limit (bytes)", MAX_MESSAGE_PAYLOAD,
  "Payloads up to this size are reassembled whole; larger ones are counted across segments")

local f_tcp_stream = Field.new("tcp.stream")
local f_tcp_fin = Field.new("tcp.flags.fin")
local f_tcp_reset = Field.new("tcp.flags.reset")
local f_tcp_seq = Field.new("tcp.seq")
local f_tcp_nxtseq = Field.new("tcp.nxtseq")
local f_tcp_len = Field.new("tcp.len")

-- Per-direction state -----------------------------------------------------
--
-- Wireshark dissects every packet once in order (pinfo.visited false), then
-- again whenever it is shown. The state at the start of each call is saved on
-- the first pass under a key naming that call, and read back later.

local live = {}      -- direction key -> state, during the first pass
local saved = {}     -- call key -> state at the start of that call
local closes = {}    -- packet number -> text, for a FIN/RST inside a frame
local ends = {}      -- packet with a streamed header -> packet where its payload ends

function chatroom.init()
  live, saved, closes, ends = {}, {}, {}, {}
end

local function direction_key(pinfo)
  local stream = f_tcp_stream()
  return tostring(stream and stream.value or "?") .. "/" .. tostring(pinfo.src_port)
end

local function copy(state)
  local c = {}
  for k, v in pairs(state) do c[k] = v end
  return c
end

-- Helpers -------------------------------------------------------------------

local function human_size(n)
  if n < 1024 then return string.format("%d B", n) end
  local units = { "KiB", "MiB", "GiB", "TiB" }
  local v, u = n / 1024, 1
  while v >= 1024 and u < #units do v, u = v / 1024, u + 1 end
  return string.format(v < 10 and "%.1f %s" or "%.0f %s", v, units[u])
end

local function preview(s, max)
  s = s:gsub("[%c]", " ")
  if #s <= max then return s end
  -- cut on a UTF-8 character boundary
  local cut = max
  while cut > 0 and s:byte(cut + 1) and s:byte(cut + 1) >= 0x80 and s:byte(cut + 1) < 0xc0 do
    cut = cut - 1
  end
  return s:sub(1, cut) .. "…"
end

local function kind_of(flags)
  -- A transfer's frames (STREAM): BEGIN, DATA or END, DISCARD.
  if bit.band(flags, FLAG.STREAM) ~= 0 then
    if bit.band(flags, FLAG.ERROR) ~= 0 then return "STREAM_DISCARD" end
    if bit.band(flags, FLAG.ATTACHMENT) ~= 0 then return "STREAM_BEGIN" end
    return "STREAM_DATA"
  end
  local names = {}
  for _, f in ipairs(FLAGS) do
    if f[1] ~= "HISTORY" and f[1] ~= "ECHO" and bit.band(flags, f[3]) ~= 0 then
      names[#names + 1] = f[1]
    end
  end
  if #names == 0 then return "CHAT" end
  return table.concat(names, "+")
end

local function flag_names(flags)
  local names = {}
  for _, f in ipairs(FLAGS) do
    if bit.band(flags, f[3]) ~= 0 then names[#names + 1] = f[1] end
  end
  if #names == 0 then return "none: CHAT" end
  return table.concat(names, ", ")
end

-- One line for the Info column, like --trace reads.
local function summary(h, text)
  local kind = kind_of(h.flags)
  local parts = {}
  if bit.band(h.flags, FLAG.HISTORY) ~= 0 then parts[#parts + 1] = "HISTORY" end
  parts[#parts + 1] = kind
  if bit.band(h.flags, FLAG.ECHO) ~= 0 then parts[#parts + 1] = "ECHO" end
  local line = table.concat(parts, " ")
  local say = text and preview(text, 120) or nil
  if kind == "STREAM_BEGIN" then
    return string.format("STREAM BEGIN #%d %s %s", h.number, h.filename, h.sender)
  elseif kind == "STREAM_DATA" then
    if h.payload_length == 0 then return string.format("STREAM END #%d %s", h.number, h.filename) end
    return string.format("STREAM DATA #%d %s", h.number, human_size(h.payload_length))
  elseif kind == "STREAM_DISCARD" then
    return string.format("STREAM DISCARD #%d: %s", h.number, say or "")
  end
  if kind == "CHAT" then
    if h.sender ~= "" then line = line .. " " .. h.sender end
    return line .. ": " .. (say or "")
  elseif kind == "JOIN_REQUEST" or kind == "JOIN_ACCEPT" or kind == "NEW_USER"
      or kind == "QUIT_ACCEPT" then
    line = line .. " " .. h.username
    if kind == "JOIN_ACCEPT" then line = line .. string.format(" (%d history)", h.number) end
    return line
  elseif kind == "REPORT_RESPONSE" then
    return line .. string.format(" %d user%s", h.number, h.number == 1 and "" or "s")
  elseif kind == "ATTACHMENT" or kind == "AVATAR" then
    if kind == "AVATAR" and h.username ~= "" then line = line .. " " .. h.username end
    return line .. " " .. h.filename .. " " .. human_size(h.payload_length)
  elseif kind == "JOIN_REJECT" or kind == "ERROR" then
    if kind == "ERROR" and h.code ~= 0 then line = line .. " " .. (CODES[h.code] or ("code " .. h.code)) end
    return line .. (say and (": " .. say) or "")
  else
    return line .. (say and say ~= "" and (": " .. say) or "")
  end
end

local function add_info(pinfo, state, text)
  if state.info_count == 0 then
    pinfo.cols.info:set(text)
  else
    pinfo.cols.info:append(", " .. text)
  end
  state.info_count = state.info_count + 1
end

local function is_binary(flags)
  if bit.band(flags, FLAG.STREAM) ~= 0 then return bit.band(flags, FLAG.ERROR) == 0 end
  return bit.band(flags, FLAG.ATTACHMENT + FLAG.AVATAR) ~= 0
end

-- Header ------------------------------------------------------------------

-- Reads the fixed part at `offset` (33 bytes are there) and the header size.
local function read_fixed(tvb, offset)
  local h = {}
  h.flags = tvb(offset + 4, 2):uint()
  h.code = tvb(offset + 6, 2):uint()
  h.number = tvb(offset + 8, 4):uint()
  h.timestamp = tvb(offset + 12, 8):uint64()
  h.payload_length = tvb(offset + 20, 8):uint64():tonumber()
  h.payload_length_raw = tvb(offset + 20, 8):uint64()
  h.u = tvb(offset + 28, 1):uint()
  h.s = tvb(offset + 29, 1):uint()
  h.f = tvb(offset + 30, 2):uint()
  h.h = tvb(offset + 32, 1):uint()
  h.size = FIXED_HEADER + h.u + h.s + h.f + h.h
  return h
end

local function add_string(tree, field, tvb, at, len)
  local item = tree:add_packet_field(field, tvb(at, len), ENC_UTF_8)
  return item, len > 0 and tvb(at, len):string(ENC_UTF_8) or ""
end

-- Adds the header's items to `sub`; returns the decoded header fields.
local function dissect_header(tvb, offset, h, sub)
  local magic = sub:add(F.magic, tvb(offset, 2))
  sub:add(F.version, tvb(offset + 2, 1))
  local reserved = sub:add(F.reserved, tvb(offset + 3, 1))
  if tvb(offset + 3, 1):uint() ~= 0 then
    reserved:add_proto_expert_info(E.bad_header, "Reserved byte is not 0")
  end
  local fi = sub:add(F.flags, tvb(offset + 4, 2))
  fi:append_text(" (" .. flag_names(h.flags) .. ")")
  for _, f in ipairs(FLAGS) do fi:add(F[f[2]], tvb(offset + 4, 2)) end
  if bit.band(h.flags, bit.bnot(KNOWN_FLAGS)) ~= 0 then
    fi:add(F.unknown_flags, tvb(offset + 4, 2))
    fi:add_proto_expert_info(E.bad_header, "Flag bit 15 must be 0")
  end
  sub:add(F.kind, kind_of(h.flags)):set_generated()
  local ci = sub:add(F.code, tvb(offset + 6, 2))
  if h.code ~= 0 then
    ci:add_proto_expert_info(E.refused, (CODES[h.code] or "unknown code") .. " (" .. h.code .. ")")
  end
  local ni = sub:add(F.number, tvb(offset + 8, 4))
  local kind = kind_of(h.flags)
  if kind == "REPORT_RESPONSE" then
    ni:append_text(" (active users)")
  elseif kind == "JOIN_ACCEPT" then
    ni:append_text(" (history frames that follow)")
  elseif kind == "JOIN_REQUEST" then
    local options = {}
    if bit.band(h.number, 1) ~= 0 then options[#options + 1] = "ECHO" end
    if bit.band(h.number, 2) ~= 0 then options[#options + 1] = "STREAM" end
    ni:append_text(" (join options: " .. (#options > 0 and table.concat(options, "|") or "none") .. ")")
  elseif bit.band(h.flags, FLAG.STREAM) ~= 0 then
    ni:append_text(" (transfer id)")
  end
  local ms = h.timestamp
  local ns = NSTime.new((ms / 1000):tonumber(), (ms % 1000):tonumber() * 1000000)
  local ti = sub:add(F.timestamp, tvb(offset + 12, 8), ns)
  if ms:tonumber() == 0 then ti:append_text(" (not set)") end
  sub:add(F.timestamp_ms, tvb(offset + 12, 8)):set_hidden()
  local pl = sub:add(F.payload_length, tvb(offset + 20, 8))
  if h.payload_length > MAX_SAFE_LENGTH then
    pl:add_proto_expert_info(E.bad_header, "PAYLOAD_LENGTH is over 2^53 - 1")
  elseif not is_binary(h.flags) and h.payload_length > MAX_MESSAGE_PAYLOAD then
    pl:add_proto_expert_info(E.too_large, "A non-attachment payload may be at most 1 MiB")
  end
  local function length_item(field, at, len, value, max, what)
    local item = sub:add(field, tvb(at, len))
    if value > max then
      item:add_proto_expert_info(E.bad_header,
        string.format("%s is %d bytes, over the limit of %d", what, value, max))
    end
  end
  length_item(F.username_length, offset + 28, 1, h.u, MAX_NAME, "USERNAME")
  length_item(F.sender_length, offset + 29, 1, h.s, MAX_NAME, "SENDER")
  length_item(F.filename_length, offset + 30, 2, h.f, MAX_FILENAME, "FILENAME")
  local hi = sub:add(F.sha256_length, tvb(offset + 32, 1))
  if h.h ~= 0 and h.h ~= SHA256_BYTES then
    hi:add_proto_expert_info(E.bad_header, "SHA256 length must be 0 or 32")
  end
  local at = offset + FIXED_HEADER
  local _
  _, h.username = add_string(sub, F.username, tvb, at, h.u)
  at = at + h.u
  _, h.sender = add_string(sub, F.sender, tvb, at, h.s)
  at = at + h.s
  _, h.filename = add_string(sub, F.filename, tvb, at, h.f)
  at = at + h.f
  local si = sub:add(F.sha256, tvb(at, h.h))
  if h.h == 0 then si:set_text("SHA-256: (none)") end
  return h
end

-- Dissection --------------------------------------------------------------

-- Everything left in this direction after bad magic or version.
local function dissect_lost(tvb, offset, pinfo, tree, state)
  local sub = tree:add(chatroom, tvb(offset), "Chatroom: undecodable bytes")
  sub:add(F.garbage, tvb(offset)):add_proto_expert_info(E.after_error,
    "After a frame with bad magic or version, the stream cannot be followed")
  add_info(pinfo, state, string.format("[%d undecodable bytes]", tvb:len() - offset))
end

-- Payload bytes of a streamed frame whose header came earlier.
local function dissect_continuation(tvb, offset, pinfo, tree, state)
  local n = math.min(state.skip, tvb:len() - offset)
  local sub = tree:add(chatroom, tvb(offset, n), "Chatroom: payload continued")
  sub:add(F.continuation_of, state.stream_header)
  sub:add(F.continuation_offset, tvb(offset, n), UInt64.new(state.stream_done))
    :set_generated()
  sub:add(F.continuation, tvb(offset, n))
  sub:append_text(string.format(", %s (bytes %d-%d of %d)", state.stream_label,
    state.stream_done, state.stream_done + n - 1, state.stream_total))
  add_info(pinfo, state, string.format("[%s continued, %d of %d bytes]", state.stream_label,
    state.stream_done + n, state.stream_total))
  state.skip = state.skip - n
  state.stream_done = state.stream_done + n
  if state.skip == 0 then
    sub:append_text(" (payload complete)")
    if not pinfo.visited then ends[state.stream_header] = pinfo.number end
  end
  return offset + n
end

-- Returns the new offset, or nil after asking TCP for more bytes.
local function dissect_frame(tvb, offset, pinfo, tree, state)
  local avail = tvb:len() - offset
  -- Magic and version are checked on the first bytes, before a whole header.
  local first = tvb(offset, 1):uint()
  local second = avail >= 2 and tvb(offset + 1, 1):uint() or 0x52
  if first ~= 0x43 or second ~= 0x52 then
    local sub = tree:add(chatroom, tvb(offset), "Chatroom: not a chatroom frame")
    sub:add(F.garbage, tvb(offset)):add_proto_expert_info(E.bad_magic, string.format(
      "Bad magic: the frame starts with %s, expected 43 52 (\"CR\")",
      tvb(offset, math.min(2, avail)):bytes():tohex(false, " ")))
    add_info(pinfo, state, "[bad magic]")
    state.lost = true
    return tvb:len()
  end
  if avail >= 3 and tvb(offset + 2, 1):uint() ~= 1 then
    local sub = tree:add(chatroom, tvb(offset), "Chatroom: unsupported version")
    sub:add(F.magic, tvb(offset, 2))
    sub:add(F.version, tvb(offset + 2, 1)):add_proto_expert_info(E.bad_version, string.format(
      "Protocol version %d is not supported (this dissector knows version 1)",
      tvb(offset + 2, 1):uint()))
    if avail > 3 then sub:add(F.garbage, tvb(offset + 3)) end
    add_info(pinfo, state, "[unsupported version " .. tvb(offset + 2, 1):uint() .. "]")
    state.lost = true
    return tvb:len()
  end
  if avail < FIXED_HEADER then
    pinfo.desegment_offset = offset
    pinfo.desegment_len = FIXED_HEADER - avail
    state.pending = string.format("inside a frame header (%d of at least %d bytes)", avail,
      FIXED_HEADER)
    return nil
  end
  local h = read_fixed(tvb, offset)
  if avail < h.size then
    pinfo.desegment_offset = offset
    pinfo.desegment_len = h.size - avail
    state.pending = string.format("inside a frame header (%d of %d bytes)", avail, h.size)
    return nil
  end
  local bad_length = h.payload_length > MAX_SAFE_LENGTH
  local limit = chatroom.prefs.reassemble_limit
  local whole = not bad_length and h.payload_length <= limit
  if whole and avail < h.size + h.payload_length then
    pinfo.desegment_offset = offset
    pinfo.desegment_len = h.size + h.payload_length - avail
    state.pending = string.format("inside a frame's payload (%d of %d bytes)", avail - h.size,
      h.payload_length)
    return nil
  end
  state.pending = nil
  local present = math.min(h.payload_length, avail - h.size)
  local sub = tree:add(chatroom, tvb(offset, h.size + present))
  dissect_header(tvb, offset, h, sub)
  local pstart = offset + h.size
  local text
  local pi = sub:add(F.payload, tvb(pstart, present))
  if whole and not is_binary(h.flags) and present > 0 then
    text = tvb(pstart, present):string(ENC_UTF_8)
    pi:add_packet_field(F.text, tvb(pstart, present), ENC_UTF_8)
  elseif is_binary(h.flags) and present > 0 then
    pi:set_text(string.format("PAYLOAD: %s of file content", human_size(present)))
  elseif h.payload_length == 0 then
    pi:set_text("PAYLOAD: (empty)")
  end
  local line = summary(h, text)
  sub:append_text(": " .. line)
  add_info(pinfo, state, line)
  if bad_length then
    state.lost = true
    return tvb:len()
  end
  if present < h.payload_length then
    local rest = h.payload_length - present
    pi:append_text(string.format(" (first %d of %d bytes; the rest follows)", present,
      h.payload_length))
    sub:add(F.streamed, true):set_generated()
    if ends[pinfo.number] then sub:add(F.payload_end, ends[pinfo.number]):set_generated() end
    state.skip = rest
    state.stream_header = pinfo.number
    state.stream_done = present
    state.stream_total = h.payload_length
    state.stream_label = kind_of(h.flags) .. " " .. h.filename
  end
  return pstart + present
end

function chatroom.dissector(tvb, pinfo, tree)
  local len = tvb:len()
  if len == 0 then return 0 end
  pinfo.cols.protocol = "CHATROOM"
  local dkey = direction_key(pinfo)
  local ckey = pinfo.number .. ":" .. tvb:offset() .. ":" .. len
  local state
  if not pinfo.visited then
    state = live[dkey] or { skip = 0, lost = false }
    live[dkey] = state
    saved[ckey] = copy(state)
  else
    state = copy(saved[ckey] or { skip = 0, lost = false })
  end
  state.info_count = 0
  local offset = 0
  -- A whole segment (not a reassembled PDU) that starts after the bytes we
  -- expected: the capture missed some. Inside a counted payload, count them off.
  local seq, nxtseq, seglen = f_tcp_seq(), f_tcp_nxtseq(), f_tcp_len()
  if seq and seglen and seglen.value == len and state.next_seq and seq.value > state.next_seq then
    local gap = seq.value - state.next_seq
    if state.skip > 0 then
      local counted = math.min(gap, state.skip)
      state.skip = state.skip - counted
      state.stream_done = state.stream_done + counted
      tree:add(chatroom, tvb(0, 0), "Chatroom: bytes missing"):add_proto_expert_info(E.gap,
        string.format("%d bytes of the payload were not captured", gap))
    end
  end
  if not pinfo.visited and nxtseq then state.next_seq = nxtseq.value end
  if state.lost then
    dissect_lost(tvb, 0, pinfo, tree, state)
    return len
  end
  if state.skip > 0 then offset = dissect_continuation(tvb, 0, pinfo, tree, state) end
  while offset < len do
    local next_offset = dissect_frame(tvb, offset, pinfo, tree, state)
    if not next_offset then break end
    offset = next_offset
  end
  return len
end

-- A FIN or RST in a direction that is inside a frame: the frame was cut short.
local closer = Proto("chatroom_close", "Chatroom end of stream")

function closer.dissector(tvb, pinfo, tree)
  local text
  if not pinfo.visited then
    local fin, rst = f_tcp_fin(), f_tcp_reset()
    if not ((fin and fin.value) or (rst and rst.value)) then return end
    local state = live[direction_key(pinfo)]
    if not state then return end
    if state.pending then
      text = "The connection closed " .. state.pending
      state.pending = nil
    elseif state.skip > 0 then
      text = string.format("The connection closed %d bytes short of the end of a payload (%s)",
        state.skip, state.stream_label)
      state.skip = 0
    end
    if text then closes[pinfo.number] = text end
  else
    text = closes[pinfo.number]
  end
  if text then
    local sub = tree:add(chatroom, tvb(0, 0), "Chatroom: frame cut short")
    sub:add_proto_expert_info(E.cut_short, text)
    pinfo.cols.info:append(" [chatroom: frame cut short]")
  end
end
register_postdissector(closer)

local tcp_port = DissectorTable.get("tcp.port")
local registered_port = chatroom.prefs.tcp_port
tcp_port:add(registered_port, chatroom)
tcp_port:add_for_decode_as(chatroom)

function chatroom.prefs_changed()
  if registered_port ~= chatroom.prefs.tcp_port then
    if registered_port ~= 0 then tcp_port:remove(registered_port, chatroom) end
    registered_port = chatroom.prefs.tcp_port
    if registered_port ~= 0 then tcp_port:add(registered_port, chatroom) end
  end
end
