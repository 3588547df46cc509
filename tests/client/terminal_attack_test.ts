/**
 * Text meant to attack terminals — escape sequences, C1 controls, bidi
 * overrides, bells, carriage returns — reaches the real client subprocess,
 * live and in the history, and is printed inert: visible, never obeyed.
 */
import assert from "node:assert/strict";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { hasUnsafeChars } from "../../lib/shared/text.ts";
import { startServer, TestClient } from "../support/harness.ts";
import { denoLauncher, ProgramProcess } from "../support/program_process.ts";

/** Each attack, and how the client must show it. */
const ATTACKS: [string, string][] = [
  ["\x1b[2J\x1b[Hscreen cleared?", "\\x1b[2J\\x1b[Hscreen cleared?"],
  ["\x1b]0;pwned\x07title set?", "\\x1b]0;pwned\\x07title set?"],
  [
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "\\x1b]8;;https://evil.example\\x1b\\link",
  ],
  ["\u009b31mC1 red?", "\\x9b31mC1 red?"],
  ["\u202egnp.exe", "\\u202egnp.exe"],
  ["\u2066isolated\u2069", "\\u2066isolated\\u2069"],
  ["zero\u200bwidth", "zero\\u200bwidth"],
  ["fake line\rServer: you are banned", "fake line\\x0dServer: you are banned"],
  ["bell\x07 and back\bspace", "bell\\x07 and back\\x08space"],
];

/** The client's output may hold newlines and tabs, and no other control or format character. */
function assertInert(output: string, who: string): void {
  const clean = output.replaceAll(/[\n\t]/g, "");
  assert.ok(
    !hasUnsafeChars(clean),
    `${who} printed a raw control character:\n${JSON.stringify(output)}`,
  );
}

Deno.test("the real client prints hostile text inert, live and from the history", async () => {
  await using srv = await startServer({ maxUsers: 5 });
  const cwd = `${srv.dir}/watcher`;
  await Deno.mkdir(cwd);
  await using watcher = ProgramProcess.start(denoLauncher("client"), ["--port", String(srv.port)], {
    cwd,
  });
  await watcher.waitFor("Your choice: ");
  await watcher.type("2");
  await watcher.waitFor("Please enter a username: ");
  await watcher.type("Watcher");
  await watcher.waitFor("Server: Watcher joined the chatroom.\n");

  await using mallory = await TestClient.join(srv.port, "Mallory");
  for (const [attack] of ATTACKS) mallory.say(attack);
  for (const [, shown] of ATTACKS) await watcher.waitFor(`] Mallory: ${shown}`);

  const file = `${srv.dir}/evil.txt`;
  await Deno.writeTextFile(file, "inside the file \x1b[31mred\x1b[0m \u202eevil\n");
  await mallory.upload(file, "\x1b[31mred.txt");
  await mallory.next((f) => hasFlag(f, FLAG.ATTACHMENT));
  await watcher.waitFor("] Mallory: inside the file \\x1b[31mred\\x1b[0m \\u202eevil\n");
  await watcher.waitFor("(attachment _[31mred.txt, ");
  assertInert(watcher.stdout, "Watcher");

  const lateDir = `${srv.dir}/late`;
  await Deno.mkdir(lateDir);
  await using late = ProgramProcess.start(denoLauncher("client"), ["--port", String(srv.port)], {
    cwd: lateDir,
  });
  await late.waitFor("Your choice: ");
  await late.type("2");
  await late.waitFor("Please enter a username: ");
  await late.type("Late");
  for (const [, shown] of ATTACKS) await late.waitFor(`] Mallory: ${shown}`);
  await late.waitFor("Server: Late joined the chatroom.\n");
  assertInert(late.stdout, "Late");

  for (const client of [watcher, late]) {
    await client.type("q");
    await client.waitFor("Your choice: ");
    await client.type("3");
    assert.equal((await client.exited()).code, 0);
  }
});
