/**
 * A peer IRC server (ngircd, inspircd) as the bench runs it: in the
 * foreground, on 127.0.0.1 and a free port, from a configuration generated
 * into a temporary folder, as the user `irc` when the bench runs as root
 * (inspircd refuses root), optionally with the TCP_NODELAY shim preloaded.
 *
 * @module
 */
import type { PeerSpec } from "./irc_config.ts";
import { procStatusKib } from "../support/server_process.ts";

/** Folders searched for a peer's executable besides PATH (sbin is often not on it). */
const SBIN = ["/usr/sbin", "/usr/local/sbin", "/sbin"];
/** How often the port is tried while the server starts. */
const POLL_MS = 20;
/** The user a peer runs as when the bench is root (Debian's, for its ircds). */
const PEER_USER = "irc";

/** Options for {@linkcode IrcServer.start}. */
export interface IrcServerOptions {
  /** A shared object to `LD_PRELOAD` (the TCP_NODELAY shim). @default none */
  preload?: string;
  /** Milliseconds to wait for the server to accept connections. @default 15000 */
  timeoutMs?: number;
}

/** The path of an executable on PATH or in the sbin folders, or undefined. */
export function findExecutable(name: string): string | undefined {
  const path = (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir);
  for (const dir of [...path, ...SBIN]) {
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && (info.mode ?? 0) & 0o111) return `${dir}/${name}`;
    } catch {
      // Not in this folder: try the next.
    }
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1: bound on port 0, closed, handed on. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A running peer server. */
export class IrcServer implements AsyncDisposable {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Its temporary folder: configuration, log. */
  readonly dir: string;
  #child: Deno.ChildProcess;
  #name: string;
  #stopping?: Promise<void>;

  private constructor(child: Deno.ChildProcess, name: string, port: number, dir: string) {
    this.#child = child;
    this.#name = name;
    this.port = port;
    this.dir = dir;
  }

  /**
   * Writes the peer's configuration for a free port into a new temporary
   * folder, starts it in the foreground (its output to `server.log`
   * there), and resolves once the port accepts connections.
   */
  static async start(
    spec: PeerSpec,
    executable: string,
    options: IrcServerOptions = {},
  ): Promise<IrcServer> {
    const dir = await Deno.makeTempDir({ prefix: `chatroom-peer-${spec.name}-` });
    const port = freePort();
    const files = { ...spec.extraFiles, [spec.configFile]: spec.config(port, dir) };
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text, { mode: 0o644 });
    }
    const user = Deno.uid() === 0 ? peerUser() : undefined;
    await Deno.chmod(dir, 0o755);
    if (user) await Deno.chown(dir, user.uid, user.gid);
    const command = [executable, ...spec.args(`${dir}/${spec.configFile}`)];
    // setpriv execs (no fork), so the child's pid is the server's for /proc and signals.
    const asUser = user
      ? ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", "--", ...command]
      : command;
    const child = new Deno.Command("/bin/sh", {
      args: ["-c", 'exec "$@" >"$PEER_LOG" 2>&1', "sh", ...asUser],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      env: {
        PEER_LOG: `${dir}/server.log`,
        ...(options.preload ? { LD_PRELOAD: options.preload } : {}),
      },
    }).spawn();
    const server = new IrcServer(child, spec.name, port, dir);
    let exited = false;
    child.status.then(() => exited = true);
    const timeoutMs = options.timeoutMs ?? 15_000;
    const started = Date.now();
    try {
      while (!await accepts(port)) {
        if (exited) throw new Error(`${spec.name} exited:\n${await server.#logTail()}`);
        if (Date.now() - started > timeoutMs) {
          throw new Error(
            `${spec.name} did not listen within ${timeoutMs} ms:\n${await server.#logTail()}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      return server;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** The server's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Resident memory now, in KiB (`VmRSS`). */
  rssKib(): number {
    return procStatusKib(this.pid, "VmRSS");
  }

  /** Stops the server (SIGTERM, SIGKILL after `graceMs`) and removes its folder. */
  async stop(graceMs = 5_000): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    await this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch { /* it already exited */ }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* it exited in the meantime */ }
    }, graceMs);
    await this.#child.status;
    clearTimeout(timer);
    await Deno.remove(this.dir, { recursive: true });
  }

  /** The lines of its log so far (its output in the foreground). */
  async logLines(): Promise<string[]> {
    const log = await Deno.readTextFile(`${this.dir}/server.log`).catch(() => "");
    return log.trimEnd().split("\n");
  }

  async #logTail(): Promise<string> {
    const tail = (await this.logLines()).slice(-20).join("\n");
    return tail || `(${this.#name} wrote nothing)`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
async function accepts(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return false;
    throw error;
  }
}

/** The uid and gid of {@linkcode PEER_USER}, or of `nobody` where there is no such user. */
function peerUser(): { uid: number; gid: number } {
  const passwd = Deno.readTextFileSync("/etc/passwd");
  for (const name of [PEER_USER, "nobody"]) {
    const match = new RegExp(`^${name}:[^:]*:(\\d+):(\\d+):`, "m").exec(passwd);
    if (match) return { uid: Number(match[1]), gid: Number(match[2]) };
  }
  throw new Error(
    `Cannot run a peer server as root: no user ${PEER_USER} or nobody in /etc/passwd`,
  );
}
