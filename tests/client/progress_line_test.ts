import assert from "node:assert/strict";
import { formatDuration, ProgressMeter } from "../../lib/client/terminal/progress_line.ts";

const MiB = 1024 * 1024;

Deno.test("ProgressMeter shows bytes, rate and time left, throttled, and ends when done", () => {
  let now = 1000;
  const meter = new ProgressMeter({ now: () => now, intervalMs: 200 });
  const upload = (done: number) => ({
    direction: "upload" as const,
    filename: "attachments/big.bin",
    done,
    total: 8 * MiB,
  });
  assert.equal(meter.update(upload(64 * 1024)), "Uploading big.bin: 64 KiB of 8.0 MiB (0%)");
  now += 100;
  assert.equal(meter.update(upload(MiB)), undefined, "too soon after the last update");
  now += 900;
  assert.equal(
    meter.update(upload(2 * MiB)),
    "Uploading big.bin: 2.0 MiB of 8.0 MiB (25%), 2.0 MiB/s, 3 s left",
  );
  assert.equal(meter.update(upload(8 * MiB)), null);
});

Deno.test("ProgressMeter ignores small transfers and names both directions at once", () => {
  let now = 0;
  const meter = new ProgressMeter({ now: () => now, intervalMs: 0 });
  assert.equal(
    meter.update({ direction: "upload", filename: "a.txt", done: 10, total: 100 }),
    undefined,
  );
  meter.update({ direction: "upload", filename: "up.bin", done: 0, total: 4 * MiB });
  now = 1000;
  const both = meter.update({
    direction: "download",
    filename: "down.bin",
    done: MiB,
    total: 2 * MiB,
  });
  assert.match(
    both!,
    /^Uploading up\.bin: .*; Downloading down\.bin: 1\.0 MiB of 2\.0 MiB \(50%\)$/,
  );
  assert.match(
    meter.update({ direction: "upload", filename: "up.bin", done: 4 * MiB, total: 4 * MiB })!,
    /^Downloading down\.bin/,
  );
});

Deno.test("ProgressMeter shows streamed downloads side by side, one per transfer id", () => {
  let now = 0;
  const meter = new ProgressMeter({ now: () => now, intervalMs: 0 });
  const down = (id: number, filename: string, done: number) =>
    meter.update({ direction: "download", filename, id, done, total: 2 * MiB });
  down(1, "a.bin", 0);
  now = 1000;
  assert.match(
    down(2, "b.bin", MiB)!,
    /^Downloading a\.bin: 0 bytes .*; Downloading b\.bin: 1\.0 MiB/,
  );
  assert.match(
    down(1, "a.bin", MiB / 2)!,
    /^Downloading a\.bin: 512 KiB .*; Downloading b\.bin/,
  );
  // A transfer that ends (or is given up: done = total) leaves the other on the line.
  assert.match(down(1, "a.bin", 2 * MiB)!, /^Downloading b\.bin: 1\.0 MiB of 2\.0 MiB \(50%\)/);
  assert.equal(down(2, "b.bin", 2 * MiB), null);
  assert.equal(meter.active, false);
});

Deno.test("formatDuration() reads as seconds, minutes or hours", () => {
  assert.equal(formatDuration(42), "42 s");
  assert.equal(formatDuration(185), "3 min 5 s");
  assert.equal(formatDuration(7800), "2 h 10 min");
});
