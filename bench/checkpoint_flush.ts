/**
 * What a WAL checkpoint costs the event loop, with and without flushing the
 * WAL first off the event loop: `deno task bench:checkpoint`.
 *
 * The history's own settings (exclusive lock, WAL, `synchronous = NORMAL`,
 * no automatic checkpoints, the same table and index), through
 * `node:sqlite` alone. Each round commits one-row transactions, then times
 * `PRAGMA wal_checkpoint(PASSIVE)`: `plain` as it comes, `flushed` after
 * `FsFile.syncData()` on the WAL has resolved, as `SqliteHistory` does
 * (see `CHECKPOINT_MIN_COMMITS` in lib/server/history/sqlite_history.ts).
 * The two alternate round by round, so both see the same disk. The file is
 * in a temporary folder beside the current one (the disk the server's
 * history would be on), removed at the end.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";

const { values } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string", default: "60" } },
});
const rounds = Number(values.rounds);

const dir = await Deno.makeTempDir({ dir: ".", prefix: ".checkpoint-bench-" });
try {
  const db = new DatabaseSync(`${dir}/history.db`, { timeout: 0 });
  db.exec("PRAGMA locking_mode = EXCLUSIVE");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA wal_autocheckpoint = 0");
  db.exec(`CREATE TABLE history (
    seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, timestamp INTEGER NOT NULL,
    username TEXT NOT NULL, text TEXT NOT NULL, filename TEXT, stored_name TEXT,
    size INTEGER, sha256 BLOB) STRICT`);
  db.exec("CREATE INDEX history_by_username ON history (username)");
  const insert = db.prepare(
    "INSERT INTO history (kind, timestamp, username, text) VALUES ('chat', ?, ?, ?)",
  );
  const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  using wal = await Deno.open(`${dir}/history.db-wal`, { read: true });
  const text = "x".repeat(64);

  console.log("commits  variant  checkpoint p50    p99   (flush p50)");
  for (const commits of [100, 1000]) {
    const times = { plain: [] as number[], flushed: [] as number[] };
    const flushes: number[] = [];
    for (let round = 0; round < rounds * 2; round++) {
      for (let i = 0; i < commits; i++) insert.run(Date.now(), `user${i % 100}`, text);
      const variant = round % 2 === 0 ? "plain" : "flushed";
      if (variant === "flushed") {
        const start = performance.now();
        await wal.syncData();
        flushes.push(performance.now() - start);
      }
      const start = performance.now();
      checkpoint.get();
      times[variant].push(performance.now() - start);
      // Let the disk settle, as between a server's checkpoints.
      await sleep(5);
    }
    for (const variant of ["plain", "flushed"] as const) {
      const flush = variant === "flushed" ? `(${ms(quantile(flushes, 0.5))})` : "";
      console.log(
        `${String(commits).padStart(7)}  ${variant.padEnd(7)}  ${
          ms(quantile(times[variant], 0.5)).padStart(10)
        } ${ms(quantile(times[variant], 0.99)).padStart(7)}   ${flush}`,
      );
    }
  }
  db.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}

function quantile(values: number[], q: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}
