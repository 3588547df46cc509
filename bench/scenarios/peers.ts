/**
 * The fan-out scenario against real IRC servers (`deno task bench
 * --peers`): ngircd and inspircd, each as shipped and with TCP_NODELAY
 * forced on every accepted socket (they do not set it; see
 * `bench/peers/nodelay_shim.c`), with the same clients, rates and sizes as
 * ours, through the IRC flavour of the load generator
 * (`bench/workers/irc_fanout_clients.ts`). A peer that is not installed,
 * or the NODELAY variants without a C compiler, are skipped with one line.
 *
 * @module
 */
import { type FanoutConfig, type FanoutMeasurement, measureFanout } from "./fanout.ts";
import { PEERS, type PeerSpec } from "../peers/irc_config.ts";
import { findExecutable, IrcServer } from "../peers/irc_server.ts";
import { buildNodelayShim } from "../peers/nodelay_shim.ts";

/** How to install what `--peers` needs, for the skip lines. */
export const PEERS_INSTALL = "apt-get install ngircd inspircd";

/**
 * Runs every installed peer in both variants; figures are
 * `peers_<name>[_nodelay]_<figure>`. `log` gets the skip lines.
 */
export async function measurePeers(
  config: FanoutConfig,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  const shimDir = await Deno.makeTempDir({ prefix: "chatroom-peer-shim-" });
  try {
    // The peers may run as another user (see IrcServer), who must read the shim.
    await Deno.chmod(shimDir, 0o755);
    let shim: string | undefined | null = null;
    for (const spec of PEERS) {
      const executable = findExecutable(spec.executable);
      if (!executable) {
        log(`bench: ${spec.name} is not installed, skipped (${PEERS_INSTALL})`);
        continue;
      }
      const prefix = `peers_${spec.name}`;
      const plain = await measurePeer(spec, executable, config, log);
      if (plain) {
        Object.assign(figures, named(prefix, plain));
        figures[`${prefix}_idle_rss_per_client_kib`] = plain.rssPerClientKib;
      }
      if (shim === null) {
        shim = await buildNodelayShim(shimDir);
        if (!shim) log("bench: no C compiler (cc), TCP_NODELAY variants of the peers skipped");
      }
      if (!shim) continue;
      const fast = await measurePeer(spec, executable, config, log, shim);
      if (fast) Object.assign(figures, named(`${prefix}_nodelay`, fast));
    }
  } finally {
    await Deno.remove(shimDir, { recursive: true });
  }
  return figures;
}

const IRC_WORKER = "irc_fanout_clients.ts";
/** What a peer logs when it drops a client, for the reason of a failed run. */
const DROPPED = /exhaust|flood|sendq|recvq|excess|shutting down|closing connection/i;

/**
 * One variant of one peer on a fresh server; run once more if it fails (a
 * peer may drop a client that falls behind while the cores are busy), then
 * skipped with one line that gives the reason from the worker and the log.
 */
async function measurePeer(
  spec: PeerSpec,
  executable: string,
  config: FanoutConfig,
  log: (line: string) => void,
  preload?: string,
): Promise<FanoutMeasurement | undefined> {
  const label = `${spec.name} ${preload ? "with TCP_NODELAY" : "as shipped"}`;
  for (let attempt = 1;; attempt++) {
    await using server = await IrcServer.start(spec, executable, { preload });
    try {
      return await measureFanout(config, { server, worker: IRC_WORKER });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const reason = message.split("\n").find((line) => /error/i.test(line)) ?? message;
      const dropped = (await server.logLines()).find((line) => DROPPED.test(line));
      const why = `${reason.trim()}${dropped ? `; ${spec.name} logged: ${dropped.trim()}` : ""}`;
      if (attempt === 2) {
        log(`bench: ${label} failed twice, skipped: ${why}`);
        return undefined;
      }
      log(`bench: ${label} failed, running it once more: ${why}`);
    }
  }
}

function named(prefix: string, result: FanoutMeasurement) {
  return {
    [`${prefix}_p50_ms`]: result.fanout_p50_ms,
    [`${prefix}_p99_ms`]: result.fanout_p99_ms,
    [`${prefix}_max_ms`]: result.fanout_max_ms,
    [`${prefix}_deliveries_s`]: result.fanout_deliveries_s,
    [`${prefix}_lost`]: result.fanout_lost,
  };
}
