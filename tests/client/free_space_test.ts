/**
 * freeSpace() reads `df -Pk`, and availableBytes() its output; downloadRefusal()
 * keeps a reserve free.
 */
import assert from "node:assert/strict";
import { availableBytes, freeSpace } from "../../lib/client/free_space.ts";
import {
  DEFAULT_MAX_DOWNLOAD,
  downloadRefusal,
  MIN_FREE_AFTER_DOWNLOAD,
} from "../../lib/client/download_limit.ts";
import type { FrameHeader } from "../../lib/shared/wire/frame.ts";

Deno.test("availableBytes() reads the Available column of df -Pk, in bytes", async (t) => {
  await t.step("a plain line", () => {
    const out = "Filesystem 1024-blocks Used Available Capacity Mounted on\n" +
      "/dev/vda 264212084 23537160 82853752 23% /\n";
    assert.equal(availableBytes(out), 82853752 * 1024);
  });
  await t.step("a file system name with spaces", () => {
    const out = "Filesystem 1024-blocks Used Available Capacity Mounted on\n" +
      "//host/my share 100 40 60 40% /mnt/my share\n";
    assert.equal(availableBytes(out), 60 * 1024);
  });
  await t.step("output it does not understand", () => {
    assert.equal(availableBytes("df: no such file\n"), null);
  });
});

Deno.test("freeSpace() tells the free bytes of a real folder when df may run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "free-space-" });
  try {
    const free = await freeSpace(dir);
    assert.ok(free !== null && free > 0, `freeSpace(${dir}) returned ${free}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadRefusal() skips a file that would leave its disk under 64 MiB free", async () => {
  const header = (size: number) => ({ filename: "big.bin", payloadLength: size }) as FrameHeader;
  const limits = (free: number | null) => ({
    downloadsDir: "downloads",
    maxBytes: DEFAULT_MAX_DOWNLOAD,
    freeSpace: () => Promise.resolve(free),
  });
  const free = 100 * 1024 ** 2;
  assert.equal(await downloadRefusal(header(free - MIN_FREE_AFTER_DOWNLOAD), limits(free)), null);
  assert.equal(
    await downloadRefusal(header(free - MIN_FREE_AFTER_DOWNLOAD + 1), limits(free)),
    `it is ${free - MIN_FREE_AFTER_DOWNLOAD + 1} bytes, and downloads/ has ${free} bytes free: ` +
      "saving it would leave less than 64 MiB; skipped",
  );
  assert.equal(await downloadRefusal(header(10 ** 9), limits(null)), null, "unknown: not checked");
});
