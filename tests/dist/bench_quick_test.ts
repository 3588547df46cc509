import assert from "node:assert/strict";
import { FIGURES } from "../../bench/report.ts";
import { ROOT } from "../../scripts/deno_command.ts";
import { measureFanout } from "../../bench/scenarios/fanout.ts";

/** The figures the issue names; every run must report them. */
const ISSUE_FIGURES = [
  "raw_mb_s",
  "relay_ratio",
  "relay3_ratio",
  "relay_rss_growth_mib",
  "fanout_p50_ms",
  "fanout_p99_ms",
  "fanout_deliveries_s",
  "idle_rss_per_client_kib",
  "join_100k_ms",
  "startup_ms",
];

Deno.test({
  name: "deno task bench --quick --json runs every scenario and reports every figure",
  // The bench is Linux-only: it measures the server's memory in /proc/PID/status, its file
  // limit in /proc/self/limits, and starts the server through /bin/sh (bench/support/).
  ignore: Deno.build.os !== "linux",
  fn: benchReportsEveryFigure,
});

async function benchReportsEveryFigure() {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "bench", "--quick", "--json"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `the bench failed:\n${stderr}`);
  const report = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(report.mode, "quick");
  const everyRun = FIGURES.filter((f) => !f.onlyWith).map((f) => f.name);
  for (const name of [...ISSUE_FIGURES, ...everyRun]) {
    assert.equal(typeof report[name], "number", `${name} is missing`);
    assert.ok(Number.isFinite(report[name]), `${name} is ${report[name]}`);
  }
  assert.equal(report.fanout_lost, 0, "a chat line was lost");
  assert.equal(report.machine.deno, Deno.version.deno);
}

/**
 * The least IRC server the fan-out's IRC load generator needs: 001 on
 * NICK/USER, 366 on JOIN, and every PRIVMSG to the channel relayed to every
 * member but its sender, as ngircd and inspircd do. One PING per client
 * checks the PONG.
 */
function fakeIrcServer(): { port: number; pongs: () => number; close: () => Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const members = new Map<Deno.Conn, string>();
  const serving: Promise<void>[] = [];
  const encoder = new TextEncoder();
  let pongs = 0;
  const write = (conn: Deno.Conn, text: string) => conn.write(encoder.encode(text)).catch(() => 0);
  const serve = async (conn: Deno.Conn) => {
    let nick = "*";
    let pending = "";
    for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf("\r\n")) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 2);
        const [command, arg] = line.split(" ");
        if (command === "NICK") nick = arg;
        else if (command === "USER") {
          await write(conn, `:fake 001 ${nick} :Welcome\r\nPING :fake\r\n`);
        } else if (command === "PONG") pongs++;
        else if (command === "JOIN") {
          members.set(conn, nick);
          await write(conn, `:${nick}!u@h JOIN :#room\r\n:fake 366 ${nick} #room :End\r\n`);
        } else if (command === "PRIVMSG") {
          const relayed = `:${nick}!u@h ${line}\r\n`;
          for (const other of members.keys()) if (other !== conn) write(other, relayed);
        }
      }
    }
    members.delete(conn);
  };
  const accepting = (async () => {
    for await (const conn of listener) serving.push(serve(conn).catch(() => {}));
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    pongs: () => pongs,
    close: async () => {
      listener.close();
      await accepting;
      for (const conn of members.keys()) conn.close();
      await Promise.all(serving);
    },
  };
}

Deno.test("the fan-out's IRC load generator counts every PRIVMSG but the sender's own", async () => {
  const irc = fakeIrcServer();
  try {
    const config = {
      clients: 6,
      processes: 2,
      messages: 5,
      rate: 20,
      saturateMessages: 20,
      window: 4,
      bytes: 64,
    };
    const result = await measureFanout(config, {
      server: { port: irc.port, rssKib: () => 0 },
      worker: "irc_fanout_clients.ts",
    });
    assert.equal(result.fanout_lost, 0, "a line was lost or counted as due to its sender");
    assert.ok(result.fanout_p99_ms >= 0 && result.fanout_p99_ms < 1000, `${result.fanout_p99_ms}`);
    assert.ok(result.fanout_deliveries_s > 0);
    assert.equal(irc.pongs(), config.clients, "every client answers the server's PING");
  } finally {
    await irc.close();
  }
});
