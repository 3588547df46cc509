/**
 * A 200 MiB attachment relayed through real server and client processes:
 * byte-identical everywhere, and nobody's memory grows with the file.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { denoLauncher, ProgramProcess } from "../support/program_process.ts";

const SIZE = 200 * 1024 * 1024;
const LIMIT_MIB = 64;

/**
 * Resident memory of a process in MiB, from /proc (Linux only). Read through
 * `cat`: Deno wants --allow-all to read another process's /proc entry.
 */
async function rssMiB(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`] }).output();
  const status = new TextDecoder().decode(out.stdout);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

Deno.test({
  name: "a 200 MiB attachment reaches two receivers intact while memory stays bounded",
  ignore: Deno.build.os !== "linux", // reads /proc for resident memory
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "chatroom-large-" });
    try {
      // One random MiB repeated, with the repetition number stamped in, so
      // misplaced chunks would change the hash.
      await Deno.mkdir(`${root}/up/attachments`, { recursive: true });
      const block = new Uint8Array(1024 * 1024);
      crypto.getRandomValues(block.subarray(0, 65536));
      {
        using file = await Deno.open(`${root}/up/attachments/big.bin`, {
          write: true,
          create: true,
        });
        for (let i = 0; i < SIZE / block.length; i++) {
          new DataView(block.buffer).setUint32(0, i);
          let at = 0;
          while (at < block.length) at += await file.write(block.subarray(at));
        }
      }
      const expected = await sha256Of(`${root}/up/attachments/big.bin`);

      await using server = ProgramProcess.start(
        denoLauncher("server"),
        ["--host", "127.0.0.1", "--port", "0", "--max-attachment", "1G"],
        { cwd: root },
      );
      const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);

      const names = ["up", "rx1", "rx2"];
      await using stack = new AsyncDisposableStack();
      const clients: ProgramProcess[] = [];
      for (const name of names) {
        await Deno.mkdir(`${root}/${name}`, { recursive: true });
        const client = stack.use(
          ProgramProcess.start(denoLauncher("client"), ["--port", port], {
            cwd: `${root}/${name}`,
          }),
        );
        clients.push(client);
        await client.waitFor("Your choice: ");
        await client.type("2");
        await client.type(name);
        await client.waitFor(`Server: ${name} joined the chatroom.`);
      }
      const procs = [server, ...clients];
      const baseline = await Promise.all(procs.map((p) => rssMiB(p.pid)));
      const peak = [...baseline];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const now = await Promise.all(procs.map((p) => rssMiB(p.pid).catch(() => 0)));
          now.forEach((v, i) => peak[i] = Math.max(peak[i], v));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();

      const [up] = clients;
      await up.type("a");
      await up.waitFor("Please enter the file path and name: ");
      await up.type("attachments/big.bin");
      for (const client of clients) {
        await client.waitFor("[attachment big.bin, 200 MiB, saved to downloads/big.bin]", {
          timeoutMs: 120_000,
        });
      }
      sampling = false;
      await sampler;

      assert.equal(await sha256Of(`${root}/downloads/big.bin`), expected);
      for (const name of ["rx1", "rx2", "up"]) {
        assert.equal(await sha256Of(`${root}/${name}/downloads/big.bin`), expected, name);
      }
      const growth = peak.map((p, i) => p - baseline[i]);
      const labels = ["server", ...names];
      console.log(
        `RSS growth (MiB): ${labels.map((l, i) => `${l} ${growth[i].toFixed(1)}`).join(", ")}`,
      );
      growth.forEach((g, i) =>
        assert.ok(g < LIMIT_MIB, `${labels[i]} grew by ${g.toFixed(1)} MiB (limit ${LIMIT_MIB})`)
      );
      for (const client of clients) {
        await client.type("q");
        await client.type("3");
        assert.equal((await client.exited()).code, 0);
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
