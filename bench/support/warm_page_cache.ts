/**
 * Page-cache warm-up for the scenarios that write files. On this kind of
 * virtual machine, memory the guest has freed is handed back to the host
 * a few seconds later (the balloon device's free page reporting), and the
 * first write to such a page faults it in on the host: writing a new 1 GiB
 * file ran at ~400 MB/s, the same write again right after at ~4.5 GB/s
 * (`dd if=/dev/zero of=f bs=256K count=4096`, twice). A file the server
 * writes takes such pages, which a machine without that device does not
 * pay for. Writing and removing a file of the same size just before gives
 * the next file pages the guest has touched (freed, not yet reported).
 *
 * @module
 */
import { writeAll } from "../../lib/shared/net/byte_conn.ts";

const WARM_UP_CHUNK = 1024 * 1024;

/**
 * Writes `bytes` to a new file in `dir` and removes it, so that the page
 * cache's next `bytes` come from pages just touched.
 */
export async function warmPageCache(dir: string, bytes: number): Promise<void> {
  const path = `${dir}/page-cache-warm-up-${crypto.randomUUID()}`;
  const chunk = new Uint8Array(WARM_UP_CHUNK).fill(1);
  const file = await Deno.open(path, { write: true, createNew: true });
  try {
    for (let at = 0; at < bytes; at += chunk.length) {
      await writeAll(file, chunk.subarray(0, Math.min(chunk.length, bytes - at)));
    }
  } finally {
    file.close();
    await Deno.remove(path);
  }
}
