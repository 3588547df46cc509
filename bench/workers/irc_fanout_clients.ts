/**
 * The IRC flavour of `fanout_clients.ts`, for the peer servers (ngircd,
 * inspircd): the same clients, phases and lines ({@linkcode FanoutPhases}),
 * as `PRIVMSG #room :<line>`. Each client registers (NICK/USER, waits for
 * the 001 welcome) and joins `#room` (waits for the end of NAMES, 366).
 *
 * An IRC server does not send a PRIVMSG back to its sender, so a line
 * reaches the other `total - 1` clients (counted so), and a saturation line
 * counts as answered when it reaches its sender's *watcher*: the client
 * before it in this process, which receives it at the same point of the
 * fan-out as the echo would. A process needs at least two clients.
 *
 * Commands: as `fanout_clients.ts` (`join`, `steady`, `saturate`).
 *
 * @module
 */
import { FrameSender } from "../../lib/shared/net/frame_sender.ts";
import { writeAll } from "../../lib/shared/net/byte_conn.ts";
import {
  type FanoutMember,
  FanoutPhases,
  lineField,
  runFanoutWorker,
} from "../support/fanout_phases.ts";
import { wallMs } from "../support/worker_io.ts";

/** The channel every client joins. */
export const CHANNEL = "#room";
/** Longest wait for a registration or a join to be answered. */
const JOIN_TIMEOUT_MS = 30_000;
/** The read buffer, and so the longest line accepted (RFC 1459 says 512 bytes). */
const READ_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PING = encoder.encode("PING");
const ERROR = encoder.encode("ERROR");
const PONG = encoder.encode("PONG");
const PRIVMSG = encoder.encode("PRIVMSG ");
const CRLF = encoder.encode("\r\n");

interface Member extends FanoutMember {
  conn: Deno.TcpConn;
  sender: FrameSender;
  /** The member whose saturation lines this one answers for. */
  watches?: Member;
  reading: Promise<void>;
}

const members: Member[] = [];
const phases = new FanoutPhases({ echoesToSender: false });

await runFanoutWorker(phases, members, join);
await Promise.all(members.map(async (m) => {
  await m.sender.flush();
  m.conn.close();
  await m.reading;
}));

async function join(port: number, first: number, count: number): Promise<void> {
  if (count < 2) {
    throw new Error(
      `Cannot run the IRC fan-out with ${count} client in a process: a sender never sees its own line, so each process needs at least 2`,
    );
  }
  // All at once: inspircd completes a registration only on its once-a-second
  // tick, so one client after the other would take a second each.
  const indices = Array.from({ length: count }, (_, i) => first + i);
  const joined = await Promise.all(indices.map((index) => connect(port, index)));
  joined.forEach((m, i) => m.watches = joined[(i + joined.length - 1) % joined.length]);
  members.push(...joined);
}

/** Connects, registers as `fan<index>` and joins {@linkcode CHANNEL}. */
async function connect(port: number, index: number): Promise<Member> {
  const nick = `fan${index}`;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const sender = new FrameSender(conn, { maxQueueBytes: Number.MAX_SAFE_INTEGER });
  const member: Member = {
    index,
    answered: 0,
    conn,
    sender,
    send: (text: string) => {
      sender.send(encoder.encode(`PRIVMSG ${CHANNEL} :${text}\r\n`));
    },
    reading: Promise.resolve(),
  };
  const registered = Promise.withResolvers<void>();
  const inRoom = Promise.withResolvers<void>();
  let state: "registering" | "joining" | "joined" = "registering";
  const setup = (line: string) => {
    const [command, ...params] = ircWords(line);
    if (command === "001") {
      state = "joining";
      registered.resolve();
    } else if (command === "366" && params[1] === CHANNEL) {
      state = "joined";
      inRoom.resolve();
    } else if (command === "ERROR" || /^[45]\d\d$/.test(command)) {
      const error = new Error(`Cannot join ${CHANNEL} as ${nick}: the server said ${line}`);
      registered.reject(error);
      inRoom.reject(error);
    }
  };
  member.reading = readLines(member, (line, receivedMs) => {
    if (state === "joined") onLine(member, line, receivedMs);
    else if (startsWith(line, 0, PING)) pong(member, line);
    else setup(decoder.decode(line));
  }).then(() => {
    const error = new Error(`Cannot join ${CHANNEL} as ${nick}: the server closed the connection`);
    registered.reject(error);
    inRoom.reject(error);
  });
  // Rejections are read once the server answers (or the timeout below).
  registered.promise.catch(() => {});
  inRoom.promise.catch(() => {});
  await writeAll(conn, encoder.encode(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`));
  await withTimeout(registered.promise, `${nick} was not welcomed (001)`);
  await writeAll(conn, encoder.encode(`JOIN ${CHANNEL}\r\n`));
  await withTimeout(inRoom.promise, `${nick} got no end of NAMES (366) for ${CHANNEL}`);
  return member;
}

/**
 * The hot path, for every line once joined: `:nick!user@host PRIVMSG #room
 * :<line>`, read straight from the bytes. PINGs are answered, an ERROR
 * (the server drops the client) ends the worker; the rest (JOINs of later
 * clients, …) is ignored.
 */
function onLine(member: Member, line: Uint8Array, receivedMs: number): void {
  if (line[0] !== 0x3a /* : */) {
    if (startsWith(line, 0, PING)) pong(member, line);
    if (startsWith(line, 0, ERROR)) {
      throw new Error(`The IRC server dropped fan${member.index}: ${decoder.decode(line)}`);
    }
    return;
  }
  const space = line.indexOf(0x20);
  if (space < 0 || !startsWith(line, space + 1, PRIVMSG)) return;
  const colon = line.indexOf(0x3a, space + 1 + PRIVMSG.length);
  if (colon < 0) return;
  const text = line.subarray(colon + 1);
  const kind = text[0];
  if (kind === 0x4c /* L */) {
    phases.steadyLine(lineField(text, 3), receivedMs);
  } else if (kind === 0x53 /* S */) {
    const watched = member.watches!;
    phases.saturateLine(receivedMs, senderIndex(text) === watched.index ? watched : undefined);
  }
}

/** Answers the server's `PING <token>` (before registration too: some servers ask). */
function pong(member: Member, ping: Uint8Array): void {
  member.sender.send(concat(PONG, ping.subarray(PING.length), CRLF));
}

/** The digits after `S `: the sender's index. */
function senderIndex(text: Uint8Array): number {
  let value = 0;
  for (let at = 2; at < text.length; at++) {
    const digit = text[at] - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return value;
}

function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (bytes.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Reads lines (without CR LF) until the connection ends, each handed over
 * synchronously as a view into the read buffer with the wall clock of the
 * read that completed it.
 */
async function readLines(
  member: Member,
  handle: (line: Uint8Array, receivedMs: number) => void,
): Promise<void> {
  const buf = new Uint8Array(READ_BYTES);
  let start = 0;
  let end = 0;
  try {
    while (true) {
      if (start === end) {
        start = end = 0;
      } else if (end === buf.length) {
        if (start === 0) {
          throw new Error(`Cannot read from the IRC server: a line exceeds ${READ_BYTES} bytes`);
        }
        buf.copyWithin(0, start, end);
        end -= start;
        start = 0;
      }
      const n = await member.conn.read(buf.subarray(end));
      if (n === null) return;
      end += n;
      const now = wallMs();
      while (true) {
        // Past `end` lie older bytes: a newline found there is no line yet.
        const lineEnd = buf.indexOf(0x0a, start);
        if (lineEnd < 0 || lineEnd >= end) break;
        handle(buf.subarray(start, buf[lineEnd - 1] === 0x0d ? lineEnd - 1 : lineEnd), now);
        start = lineEnd + 1;
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
      throw error;
    }
  }
}

/** The command and parameters of an IRC line, without its prefix (`:trailing` as one word). */
export function ircWords(line: string): string[] {
  const rest = line.startsWith(":") ? line.slice(line.indexOf(" ") + 1) : line;
  const colon = rest.indexOf(" :");
  const head = colon >= 0 ? rest.slice(0, colon) : rest;
  const words = head.split(" ").filter((w) => w);
  return colon >= 0 ? [...words, rest.slice(colon + 2)] : words;
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} within ${JOIN_TIMEOUT_MS} ms`)),
      JOIN_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
