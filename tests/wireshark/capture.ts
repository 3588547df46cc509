/**
 * Helpers for the Wireshark dissector's tests: the server and clients as
 * subprocesses, a loopback capture with dumpcap, and tshark's view of it.
 *
 * Self-contained on purpose: nothing here imports the programs' modules, so
 * the tests see only what a student sees, the programs' output and the wire.
 *
 * @module
 */

/** The repository's root, where server.ts, client.ts and wireshark/ are. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** The dissector under test. */
export const DISSECTOR: string = `${ROOT}wireshark/chatroom.lua`;

const encoder = new TextEncoder();

/**
 * Fails, with one line saying so, when tshark or dumpcap cannot be run.
 * `.ci/run` installs them from Debian; these tests never skip silently.
 */
export async function requireTshark(): Promise<void> {
  for (const tool of ["tshark", "dumpcap"]) {
    let ok = false;
    try {
      const { success } = await new Deno.Command(tool, {
        args: ["-v"],
        stdout: "null",
        stderr: "null",
      })
        .output();
      ok = success;
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new Error(
        `${tool} is not installed: install Debian's tshark package (.ci/run does) to run the Wireshark tests`,
      );
    }
  }
}

/** A running program whose stdout (and stderr) is collected as text. */
export class Program {
  /** Everything the program printed so far, stdout and stderr interleaved. */
  output = "";
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #pumps: Promise<void>[];
  #waiters: (() => void)[] = [];
  #ended = false;

  /** Starts `cmd args` in `cwd`, with stdin piped if `stdin` is true. */
  constructor(cmd: string, args: string[], cwd: string, stdin = false) {
    this.#child = new Deno.Command(cmd, {
      args,
      cwd,
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    this.#stdin = stdin ? this.#child.stdin.getWriter() : undefined;
    this.#pumps = [this.#pump(this.#child.stdout), this.#pump(this.#child.stderr)];
    Promise.all(this.#pumps).then(() => {
      this.#ended = true;
      this.#wake();
    });
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.output += decoder.decode(chunk, { stream: true });
      this.#wake();
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Waits until the output, from character `from` on, matches `pattern`;
   * returns the match. Fails if the program ends first.
   */
  async waitFor(pattern: RegExp, from = 0): Promise<RegExpExecArray> {
    while (true) {
      const match = pattern.exec(this.output.slice(from));
      if (match) return match;
      if (this.#ended) {
        throw new Error(`program ended without printing ${pattern}; it printed:\n${this.output}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Waits until `pattern` has matched `count` times in all the output. */
  async waitForCount(pattern: RegExp, count: number): Promise<RegExpExecArray[]> {
    const global = new RegExp(pattern.source, "g");
    while (true) {
      const matches = [...this.output.matchAll(global)];
      if (matches.length >= count) return matches;
      if (this.#ended) {
        throw new Error(`program ended before ${count} × ${pattern}; it printed:\n${this.output}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Types a line on the program's stdin. */
  async type(line: string): Promise<void> {
    if (!this.#stdin) throw new Error("this program has no stdin");
    await this.#stdin.write(encoder.encode(line + "\n"));
  }

  /** Sends `signal` (if still running) and waits for the program to end. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    if (this.#stdin) await this.#stdin.close().catch(() => {});
    try {
      this.#child.kill(signal);
    } catch {
      // already ended
    }
    return await this.end();
  }

  /** Closes stdin and waits for the program to end on its own. */
  async end(): Promise<Deno.CommandStatus> {
    if (this.#stdin) await this.#stdin.close().catch(() => {});
    const status = await this.#child.status;
    await Promise.all(this.#pumps);
    return status;
  }

  /** The `[trace]` lines printed so far, without `[trace] ` and any prompt before it. */
  traces(): string[] {
    return this.output.split("\n").flatMap((line) => {
      const at = line.indexOf("[trace] ");
      return at < 0 ? [] : [line.slice(at + "[trace] ".length)];
    });
  }
}

/** A fresh folder with attachments/ and downloads/, for one program to run in. */
export async function workDir(parent: string, name: string): Promise<string> {
  const dir = `${parent}/${name}`;
  await Deno.mkdir(`${dir}/attachments`, { recursive: true });
  await Deno.mkdir(`${dir}/downloads`, { recursive: true });
  return dir;
}

const DENO_RUN = ["run", "--quiet", "--no-prompt", "--allow-net", "--allow-read", "--allow-write"];

/** The server, listening on a free port of 127.0.0.1, with `--trace`. */
export class Server extends Program {
  /** The port it listens on, once {@linkcode Server.start} returned. */
  port = 0;

  /** Starts the server in `cwd` and waits for its "listening on" line. */
  static async start(cwd: string, extra: string[] = []): Promise<Server> {
    const server = new Server(
      Deno.execPath(),
      [...DENO_RUN, `${ROOT}server.ts`, "--port", "0", "--host", "127.0.0.1", "--trace", ...extra],
      cwd,
    );
    const match = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    server.port = Number(match[1]);
    return server;
  }

  /** Client port of each connection, by the server's connection number. */
  connections(): Map<number, number> {
    const ports = new Map<number, number>();
    for (const m of this.output.matchAll(/Connection #(\d+) \(127\.0\.0\.1:(\d+)\) opened/g)) {
      ports.set(Number(m[1]), Number(m[2]));
    }
    return ports;
  }

  /** The connection numbers, in the order they opened. */
  openedCount(): number {
    return this.connections().size;
  }
}

/** The terminal client, with `--trace`, driven through stdin. */
export class Client extends Program {
  /** The client port of each connection it opened, in order. */
  readonly ports: number[] = [];
  readonly #server: Server;
  #connected = false;

  private constructor(server: Server, cwd: string) {
    super(
      Deno.execPath(),
      [
        ...DENO_RUN,
        `${ROOT}client.ts`,
        "--host",
        "127.0.0.1",
        "--port",
        String(server.port),
        "--trace",
      ],
      cwd,
      true,
    );
    this.#server = server;
  }

  /** Starts a client in `cwd` and waits for its menu. */
  static async start(server: Server, cwd: string): Promise<Client> {
    const client = new Client(server, cwd);
    await client.waitFor(/Your choice:/);
    return client;
  }

  /**
   * Picks `choice` from the menu (1: report, 2: join, then `username`) and
   * waits for `expect` in what follows. The first request opens a connection
   * to the server; its port is recorded from the server's log.
   */
  async choose(choice: "1" | "2", expect: RegExp, username?: string): Promise<void> {
    const from = this.output.length;
    const opened = this.#server.openedCount();
    await this.type(choice);
    if (choice === "2") {
      await this.waitFor(/Please enter a username:/, from);
      await this.type(username ?? "");
    }
    await this.waitFor(expect, from);
    if (!this.#connected) {
      const pattern = /Connection #\d+ \(127\.0\.0\.1:(\d+)\) opened/;
      const matches = await this.#server.waitForCount(pattern, opened + 1);
      this.ports.push(Number(matches[opened][1]));
      this.#connected = true;
    }
  }

  /** Joins as `username` and waits until the room announces it. */
  async join(username: string): Promise<void> {
    await this.choose("2", new RegExp(`Server: ${username} joined the chatroom\\.`), username);
  }

  /** Leaves the chatroom with `q` (which closes the connection) and waits for the menu. */
  async leave(): Promise<void> {
    const from = this.output.length;
    await this.type("q");
    await this.waitFor(/Your choice:/, from);
    this.#connected = false;
  }

  /** Picks 3 at the menu and waits for the program to exit. */
  async quitProgram(): Promise<Deno.CommandStatus> {
    await this.type("3");
    return await this.end();
  }
}

/** A loopback capture of one TCP port with dumpcap, written to a pcap file. */
export class Capture {
  /** The pcap file. */
  readonly file: string;
  readonly #child: Deno.ChildProcess;
  readonly #done: Promise<void>;
  readonly #stderr: Promise<string>;
  /** Bytes of the pcap stream not parsed yet (less than one record). */
  #pending = new Uint8Array(0);
  #little: boolean | undefined;
  /** TCP ports that sent a FIN or RST so far. */
  readonly #closed = new Set<number>();
  #waiters: (() => void)[] = [];
  #ended = false;

  private constructor(file: string, port: number) {
    this.file = file;
    this.#child = new Deno.Command("dumpcap", {
      // A 128 MiB kernel buffer: loopback delivers a 5 MiB attachment faster than dumpcap reads.
      args: ["-i", "lo", "-B", "128", "-f", `tcp port ${port}`, "-P", "-w", "-"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#done = this.#save();
    this.#stderr = new Response(this.#child.stderr).text();
  }

  /** Starts capturing `tcp port <port>` on lo and waits until dumpcap is ready. */
  static async start(file: string, port: number): Promise<Capture> {
    const capture = new Capture(file, port);
    // dumpcap writes the file header once the capture (and its filter) is in place.
    await capture.#waitUntil(() => capture.#little !== undefined);
    return capture;
  }

  async #save(): Promise<void> {
    const file = await Deno.open(this.file, { write: true, create: true, truncate: true });
    try {
      for await (const chunk of this.#child.stdout) {
        await file.write(chunk);
        this.#parse(chunk);
        this.#wake();
      }
    } finally {
      file.close();
      this.#ended = true;
      this.#wake();
    }
  }

  /** Notes the TCP ports whose packets set FIN or RST (Ethernet, IPv4, TCP on lo). */
  #parse(chunk: Uint8Array): void {
    const bytes = new Uint8Array(this.#pending.length + chunk.length);
    bytes.set(this.#pending);
    bytes.set(chunk, this.#pending.length);
    const view = new DataView(bytes.buffer);
    let at = 0;
    if (this.#little === undefined) {
      if (bytes.length < 24) {
        this.#pending = bytes;
        return;
      }
      this.#little = view.getUint32(0, true) === 0xa1b2c3d4;
      at = 24;
    }
    while (at + 16 <= bytes.length) {
      const length = view.getUint32(at + 8, this.#little);
      const packet = at + 16;
      if (packet + length > bytes.length) break;
      if (length >= 14 + 20 + 20 && view.getUint16(packet + 12) === 0x0800) {
        const ip = packet + 14;
        const tcp = ip + (bytes[ip] & 0x0f) * 4;
        if (bytes[ip + 9] === 6 && (bytes[tcp + 13] & 0x05) !== 0) {
          this.#closed.add(view.getUint16(tcp));
        }
      }
      at = packet + length;
    }
    this.#pending = bytes.slice(at);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  async #waitUntil(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.#ended) {
        // e.g. "You don't have permission to capture on that device" when not root.
        const why = (await this.#stderr).split("\n").find((l) =>
          l && !/^Running as|^Capturing on/.test(l)
        );
        throw new Error(`dumpcap cannot capture on lo: ${why ?? "it ended early"}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /**
   * Stops the capture once every packet sent so far is in it: opens and
   * closes one more connection to `port` and waits for its FIN in the
   * capture (dumpcap writes packets in the order it sees them).
   */
  async stop(port: number): Promise<void> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const sentinel = conn.localAddr.port;
    conn.close();
    await this.#waitUntil(() => this.#closed.has(sentinel));
    this.#child.kill("SIGINT");
    await this.#child.status;
    await this.#done;
    // "Packets received/dropped on interface 'Loopback: lo': 812/0 (pcap:0/dumpcap:0/...)"
    const stats = /received\/dropped on interface [^:]*: (\d+)\/(\d+)/.exec(await this.#stderr);
    if (stats && Number(stats[2]) > 0) {
      throw new Error(
        `dumpcap dropped ${stats[2]} of ${stats[1]} packets; the capture is incomplete`,
      );
    }
  }
}

/** The fields of `-T fields` each frame of the dissector gets, by name. */
export const FRAME_FIELDS = [
  "chatroom.report_request_flag",
  "chatroom.report_response_flag",
  "chatroom.join_request_flag",
  "chatroom.join_reject_flag",
  "chatroom.join_accept_flag",
  "chatroom.new_user_flag",
  "chatroom.quit_request_flag",
  "chatroom.quit_accept_flag",
  "chatroom.attachment_flag",
  "chatroom.number",
  "chatroom.username",
  "chatroom.filename",
  "chatroom.payload_length",
  "chatroom.payload",
  "chatroom.history_flag",
  "chatroom.error_flag",
  "chatroom.avatar_flag",
  "chatroom.notice_flag",
  "chatroom.echo_flag",
  "chatroom.stream_flag",
  "chatroom.code",
  "chatroom.sender",
  "chatroom.timestamp",
  "chatroom.sha256",
] as const;

/** One chatroom frame as tshark decoded it. */
export interface WireFrame {
  /** Wireshark's packet number. */
  packet: number;
  /** TCP source port. */
  srcport: number;
  /** TCP destination port. */
  dstport: number;
  /** Each of {@linkcode FRAME_FIELDS}, as tshark printed it for this frame. */
  fields: Record<string, string>;
}

/** Separates a field's occurrences in one packet (no value here contains it). */
const AGGREGATOR = "\x1f";

/** Runs tshark with the dissector on `pcap`, decoding `port` as chatroom. */
export async function tshark(pcap: string, port: number, args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("tshark", {
    args: [
      "-r",
      pcap,
      "-X",
      `lua_script:${DISSECTOR}`,
      "-d",
      `tcp.port==${port},chatroom`,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  // tshark says "Running as user root" on stderr; a Lua error says "Lua Error" or "lua_script".
  if (!success || /lua/i.test(err)) throw new Error(`tshark failed: ${err}`);
  return new TextDecoder().decode(stdout);
}

/**
 * The packets where the dissector failed: a Lua error (which Wireshark shows
 * in the packet, not on stderr) or an exception. Empty if there are none.
 */
export async function dissectorFailures(pcap: string, port: number): Promise<string> {
  return (await tshark(pcap, port, [
    "-2",
    "-Y",
    '_ws.expert.message contains "Lua Error" || _ws.malformed.expert || _ws.malformed.dissector_bug',
    "-T",
    "fields",
    "-e",
    "frame.number",
    "-e",
    "_ws.expert.message",
  ])).trim();
}

/**
 * Every chatroom frame in the capture, in order, with its fields. `extra`
 * goes to tshark as is (e.g. `-2`, two passes, like Wireshark's GUI).
 */
export async function wireFrames(
  pcap: string,
  port: number,
  extra: string[] = [],
): Promise<WireFrame[]> {
  const text = await tshark(pcap, port, [
    ...extra,
    "-Y",
    "chatroom.kind",
    "-T",
    "fields",
    "-E",
    `aggregator=${AGGREGATOR}`,
    "-e",
    "frame.number",
    "-e",
    "tcp.srcport",
    "-e",
    "tcp.dstport",
    "-e",
    "chatroom.kind",
    ...FRAME_FIELDS.flatMap((f) => ["-e", f]),
  ]);
  const frames: WireFrame[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const [packet, srcport, dstport, kind, ...rest] = line.split("\t");
    const count = kind.split(AGGREGATOR).length;
    const columns = rest.map((value) => value.split(AGGREGATOR));
    for (const [name, values] of FRAME_FIELDS.map((f, i) => [f, columns[i]] as const)) {
      if (values.length !== count) {
        throw new Error(`packet ${packet}: ${values.length} × ${name} for ${count} frames`);
      }
    }
    for (let i = 0; i < count; i++) {
      frames.push({
        packet: Number(packet),
        srcport: Number(srcport),
        dstport: Number(dstport),
        fields: Object.fromEntries(FRAME_FIELDS.map((f, j) => [f, columns[j][i]])),
      });
    }
  }
  return frames;
}

const CODE_NAMES: Record<number, string> = {
  1: "ROOM_FULL",
  2: "USERNAME_TAKEN",
  3: "INVALID_USERNAME",
  4: "NOT_JOINED",
  5: "ALREADY_JOINED",
  6: "ATTACHMENT_TOO_LARGE",
  7: "ATTACHMENT_HASH_MISMATCH",
  8: "BAD_FILENAME",
  9: "MESSAGE_TOO_LARGE",
  10: "INVALID_TEXT",
  11: "SERVER_BUSY",
  12: "SERVER_ERROR",
  13: "SHUTTING_DOWN",
  14: "INVALID_AVATAR",
  15: "ATTACHMENT_NO_DIGEST",
  16: "ATTACHMENT_DISCARDED",
  100: "BAD_MAGIC",
  101: "UNSUPPORTED_VERSION",
  102: "BAD_HEADER",
  103: "PAYLOAD_TOO_LARGE",
  104: "TRUNCATED",
  105: "BAD_FRAME",
  106: "TIMEOUT",
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Milliseconds since 1970 of tshark's UTC time, e.g. `Dec  3, 2026 10:36:49.928000000 UTC`. */
export function parseTsharkTime(text: string): number {
  const m = /^(\w{3}) +(\d+), (\d+) (\d+):(\d+):(\d+)\.(\d{3})\d* UTC$/.exec(text);
  if (!m) throw new Error(`not a tshark UTC time: ${text}`);
  return Date.UTC(
    Number(m[3]),
    MONTHS.indexOf(m[1]),
    Number(m[2]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
    Number(m[7]),
  );
}

function hexBytes(hex: string): Uint8Array {
  if (hex === "<MISSING>") return new Uint8Array(0);
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

const FLAG_NAMES = [
  "REPORT_REQUEST_FLAG",
  "REPORT_RESPONSE_FLAG",
  "JOIN_REQUEST_FLAG",
  "JOIN_REJECT_FLAG",
  "JOIN_ACCEPT_FLAG",
  "NEW_USER_FLAG",
  "QUIT_REQUEST_FLAG",
  "QUIT_ACCEPT_FLAG",
  "ATTACHMENT_FLAG",
];
const EXTRA_NAMES = ["HISTORY", "ERROR", "AVATAR", "NOTICE", "ECHO", "STREAM"];

/**
 * A frame decoded by tshark, written the way `--trace` writes a frame (after
 * `[trace] → `), so the two can be compared as strings.
 */
export function asTrace(frame: WireFrame): string {
  const f = frame.fields;
  const flag = (name: string) => f[`chatroom.${name.toLowerCase()}`];
  const data = f["chatroom.stream_flag"] === "1" && f["chatroom.error_flag"] !== "1";
  const binary = flag("ATTACHMENT_FLAG") === "1" || f["chatroom.avatar_flag"] === "1" || data;
  const length = Number(f["chatroom.payload_length"]);
  let payload = '""';
  if (length > 0 && binary) payload = `<${length} bytes>`;
  else if (length > 0) {
    const text = new TextDecoder().decode(hexBytes(f["chatroom.payload"]));
    payload = JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
  }
  const extra = EXTRA_NAMES.filter((name) => f[`chatroom.${name.toLowerCase()}_flag`] === "1");
  const code = Number(f["chatroom.code"]);
  const timestamp = parseTsharkTime(f["chatroom.timestamp"]);
  const sha = hexBytes(f["chatroom.sha256"]);
  return [
    ...FLAG_NAMES.map((name) => `${name}=${flag(name)}`),
    `NUMBER=${f["chatroom.number"]}`,
    `USERNAME=${JSON.stringify(f["chatroom.username"])}`,
    `FILENAME=${JSON.stringify(f["chatroom.filename"])}`,
    `PAYLOAD_LENGTH=${length}`,
    `PAYLOAD=${payload}`,
    extra.length ? `extra=${extra.join("|")}` : "",
    code ? `CODE=${CODE_NAMES[code] ?? `UNKNOWN_${code}`}` : "",
    f["chatroom.sender"] ? `SENDER=${JSON.stringify(f["chatroom.sender"])}` : "",
    timestamp ? `TIMESTAMP=${new Date(timestamp).toISOString()}` : "",
    sha.length ? `SHA256=${f["chatroom.sha256"]}` : "",
  ].filter(Boolean).join(" ");
}

/** What tshark saw in each direction of one TCP connection, as trace text. */
export interface Directions {
  /** Frames from the client (the `→` of its trace, `←` of the server's). */
  sent: string[];
  /** Frames to the client. */
  received: string[];
}

/** The frames of the connection from client port `port`, both directions, as trace text. */
export function onConnection(frames: WireFrame[], port: number): Directions {
  return {
    sent: frames.filter((f) => f.srcport === port).map(asTrace),
    received: frames.filter((f) => f.dstport === port).map(asTrace),
  };
}

/** The server's trace of connection `id`, split by direction, without `to=`/`from=`. */
export function serverTrace(server: Server, id: number): Directions {
  const sent: string[] = [];
  const received: string[] = [];
  for (const line of server.traces()) {
    const m = /^(→|←) (.*) (to|from)=#(\d+)$/.exec(line);
    if (!m || Number(m[4]) !== id) continue;
    (m[1] === "←" ? sent : received).push(m[2]);
  }
  return { sent, received };
}

/** A client's trace, split by direction. */
export function clientTrace(client: Client): Directions {
  const sent: string[] = [];
  const received: string[] = [];
  for (const line of client.traces()) {
    if (line.startsWith("→ ")) sent.push(line.slice(2));
    else if (line.startsWith("← ")) received.push(line.slice(2));
  }
  return { sent, received };
}

/** What {@linkcode encode} puts in a hand-built frame; everything else is 0 or empty. */
export interface RawFrame {
  /** FLAGS. */
  flags?: number;
  /** NUMBER. */
  number?: number;
  /** USERNAME. */
  username?: string;
  /** PAYLOAD, as UTF-8 text. */
  payload?: string;
  /** VERSION, 1 unless a test wants another. */
  version?: number;
  /** The reserved byte, 0 unless a test wants another. */
  reserved?: number;
}

/** A frame's bytes, built by hand from docs/PROTOCOL.md (big-endian, magic "CR"). */
export function encode(frame: RawFrame): Uint8Array {
  const username = encoder.encode(frame.username ?? "");
  const payload = encoder.encode(frame.payload ?? "");
  const bytes = new Uint8Array(33 + username.length + payload.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0x43, 0x52, frame.version ?? 1, frame.reserved ?? 0]);
  view.setUint16(4, frame.flags ?? 0);
  view.setUint32(8, frame.number ?? 0);
  view.setBigUint64(20, BigInt(payload.length));
  bytes[28] = username.length;
  bytes.set(username, 33);
  bytes.set(payload, 33 + username.length);
  return bytes;
}

/** Joins byte arrays into one, for a single write. */
export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Reads frames from `conn` until one has every bit of `flags` set (or the
 * server closes the connection); returns the FLAGS of each frame read.
 */
export async function readUntil(conn: Deno.Conn, flags: number): Promise<number[]> {
  const seen: number[] = [];
  let buffer: Uint8Array = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  while (true) {
    while (buffer.length >= 33) {
      const view = new DataView(buffer.buffer, buffer.byteOffset);
      const size = 33 + buffer[28] + buffer[29] + view.getUint16(30) + buffer[32] +
        Number(view.getBigUint64(20));
      if (buffer.length < size) break;
      const frameFlags = view.getUint16(4);
      seen.push(frameFlags);
      buffer = buffer.slice(size);
      if ((frameFlags & flags) === flags && flags !== 0) return seen;
    }
    const n = await conn.read(chunk);
    if (n === null) return seen;
    buffer = concat([buffer, chunk.subarray(0, n)]);
  }
}
