/**
 * The real `client.ts`, run as a subprocess and driven through stdin,
 * printing exactly the assignment's texts.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { SessionUser } from "../support/session_user.ts";
import { denoLauncher, ProgramProcess } from "../support/program_process.ts";
import { FakeServer } from "../support/fake_server.ts";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";

const COOLFILE =
  "I am on a light diet: I eat in daylight, I eat in moonlight, and sometimes, I eat in refrigerator light!";

const MENU = `
Please select one of the following options:
1. Get a report of the chatroom from the server.
2. Request to join the chatroom.
3. Quit the program.
Your choice: `;

/** Replaces every `[HH:MM:SS]` with `[hh:mm:ss]`, for comparing transcripts. */
function normalizeClock(text: string): string {
  return text.replaceAll(/\[\d\d:\d\d:\d\d\]/g, "[hh:mm:ss]");
}

Deno.test("client prints the assignment's texts through join, chat, attachment, quit and menu", async () => {
  await using srv = await startServer();
  const cwd = `${srv.dir}/fire`;
  await Deno.mkdir(`${cwd}/attachments`, { recursive: true });
  await Deno.writeTextFile(`${cwd}/attachments/coolfile1.txt`, `${COOLFILE}\n`);
  await using cool = new SessionUser(srv.port, `${srv.dir}/cool/downloads`);
  await using fun = new SessionUser(srv.port, `${srv.dir}/fun/downloads`);
  await cool.session.join("Cool");
  cool.session.say("Hi");
  await fun.session.join("Fun");
  await fun.waitForLine("Cool: Hi");

  await using fire = ProgramProcess.start(denoLauncher("client"), ["--port", String(srv.port)], {
    cwd,
  });
  await fire.waitFor("Your choice: ");
  await fire.type("2");
  await fire.waitFor("Please enter a username: ");
  await fire.type("Fun");
  await fire.waitFor("Your choice: ");
  await fire.type("2");
  await fire.waitFor("Please enter a username: ");
  await fire.type("Fire");
  await fire.waitFor(/\] Server: Fire joined the chatroom\.\n/);
  await fire.type("Hey guys! I just joined.");
  await fire.waitFor("Fire: Hey guys! I just joined.\n");
  cool.session.say("What's up Fire?");
  await fire.waitFor("Cool: What's up Fire?\n");
  await assert.rejects(Deno.stat(`${cwd}/downloads/coolfile1.txt`), Deno.errors.NotFound);
  await fire.type("a");
  await fire.waitFor("Please enter the file path and name: ");
  await fire.type("attachments/coolfile1.txt");
  await fire.waitFor("saved to downloads/coolfile1.txt)\n");
  assert.equal(await Deno.readTextFile(`${cwd}/downloads/coolfile1.txt`), `${COOLFILE}\n`);
  await cool.waitForLine("Fire: [file coolfile1.txt]");
  await fire.type("q");
  await fire.waitFor("Your choice: ");
  await cool.waitForLine("Server: Fire left the chatroom.");
  await fire.type("1");
  await fire.waitFor("Your choice: ");
  await fire.type("3");
  assert.equal((await fire.exited()).code, 0);

  assert.equal(
    normalizeClock(fire.stdout),
    `${MENU}2
Please enter a username: Fun
The server rejects the join request. Another user is using this username.
${MENU}2
Please enter a username: Fire
The server welcomes you to the chatroom.
Type lowercase 'q' and press enter at any time to quit the chatroom.
Type lowercase 'a' and press enter at any time to upload an attachment to the chatroom.
Here is a history of the chatroom.
[hh:mm:ss] Server: Cool joined the chatroom.
[hh:mm:ss] Cool: Hi
[hh:mm:ss] Server: Fun joined the chatroom.
[hh:mm:ss] Server: Fire joined the chatroom.
Hey guys! I just joined.
[hh:mm:ss] Fire: Hey guys! I just joined.
[hh:mm:ss] Cool: What's up Fire?
a
Please enter the file path and name: attachments/coolfile1.txt
[hh:mm:ss] Fire: ${COOLFILE}
  (attachment coolfile1.txt, 105 bytes, saved to downloads/coolfile1.txt)
q
${MENU}1
There are 2 active users in the chatroom.
1. Cool at IP: 127.0.0.1 and port: ${cool.session.localPort}.
2. Fun at IP: 127.0.0.1 and port: ${fun.session.localPort}.
${MENU}3
`,
  );
  assert.equal(fire.stderr, "");
});

Deno.test("client says so when the server is unreachable, and keeps its menu", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const cwd = await Deno.makeTempDir();
  try {
    await using client = ProgramProcess.start(denoLauncher("client"), ["--port", String(port)], {
      cwd,
    });
    await client.waitFor("Your choice: ");
    await client.type("1");
    await client.waitFor(
      `Cannot reach the server at localhost:${port}: the connection was refused. Is the server running?\n`,
    );
    await client.waitFor("Your choice: ");
    await client.type("3");
    assert.equal((await client.exited()).code, 0);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("client reaches a server on 0.0.0.0 through localhost", async () => {
  await using srv = await startServer({ hostname: "0.0.0.0" });
  await using client = ProgramProcess.start(
    denoLauncher("client"),
    ["--host", "localhost", "--port", String(srv.port)],
    { cwd: srv.dir },
  );
  await reportEmptyRoomAndExit(client);
});

Deno.test("client leaves the chatroom cleanly when its input ends", async () => {
  await using srv = await startServer();
  await using cool = new SessionUser(srv.port, `${srv.dir}/cool/downloads`);
  await cool.session.join("Cool");
  await using client = ProgramProcess.start(denoLauncher("client"), ["--port", String(srv.port)], {
    cwd: srv.dir,
  });
  await client.waitFor("Your choice: ");
  await client.type("2");
  await client.type("Piped");
  await client.waitFor("Server: Piped joined the chatroom.");
  await client.type("bye");
  await cool.waitForLine("Piped: bye");
  await client.closeInput();
  assert.equal((await client.exited()).code, 0);
  await cool.waitForLine("Server: Piped left the chatroom.");
});

Deno.test("client misuse prints one line and usage, exit code 2", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    await using client = ProgramProcess.start(denoLauncher("client"), ["--port", "seventy"], {
      cwd,
    });
    assert.equal((await client.exited()).code, 2);
    assert.match(
      client.stderr,
      /^client: --port must be a whole number from 1 to 65535, got "seventy"\n\nUsage: client/,
    );
    await using unknown = ProgramProcess.start(denoLauncher("client"), ["--colour"], { cwd });
    assert.equal((await unknown.exited()).code, 2);
    assert.match(unknown.stderr, /^client: Unknown option '--colour'/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("client --trace prints every frame with all fourteen fields", async () => {
  await using srv = await startServer();
  await using client = ProgramProcess.start(
    denoLauncher("client"),
    ["--trace", "--port", String(srv.port)],
    { cwd: srv.dir },
  );
  await reportEmptyRoomAndExit(client);
  const sent = client.stdout.split("\n").find((l) => l.startsWith("[trace] →"))!;
  const received = client.stdout.split("\n").find((l) => l.startsWith("[trace] ←"))!;
  const fields = [
    "REPORT_REQUEST_FLAG",
    "REPORT_RESPONSE_FLAG",
    "JOIN_REQUEST_FLAG",
    "JOIN_REJECT_FLAG",
    "JOIN_ACCEPT_FLAG",
    "NEW_USER_FLAG",
    "QUIT_REQUEST_FLAG",
    "QUIT_ACCEPT_FLAG",
    "ATTACHMENT_FLAG",
    "NUMBER",
    "USERNAME",
    "FILENAME",
    "PAYLOAD_LENGTH",
    "PAYLOAD",
  ];
  for (const field of fields) {
    assert.match(sent, new RegExp(` ${field}=`));
    assert.match(received, new RegExp(` ${field}=`));
  }
  assert.match(sent, / REPORT_REQUEST_FLAG=1 /);
  assert.match(received, / REPORT_RESPONSE_FLAG=1 .* NUMBER=0 /);
});

Deno.test("client says the server went away and returns to the menu", async () => {
  const srv = await startServer();
  try {
    await using client = ProgramProcess.start(
      denoLauncher("client"),
      ["--port", String(srv.port)],
      {
        cwd: srv.dir,
      },
    );
    await client.waitFor("Your choice: ");
    await client.type("2");
    await client.type("Cool");
    await client.waitFor("Server: Cool joined the chatroom.\n");
    await srv.server.close();
    await client.waitFor("Server: The server is shutting down.\n");
    await client.waitFor("The server closed the connection.\n");
    await client.waitFor("Your choice: ");
    await client.type("3");
    assert.equal((await client.exited()).code, 0);
  } finally {
    await srv[Symbol.asyncDispose]();
  }
});

/** Menu option 1 on an empty room, then option 3: the client must exit with 0. */
async function reportEmptyRoomAndExit(client: ProgramProcess): Promise<void> {
  await client.waitFor("Your choice: ");
  await client.type("1");
  await client.waitFor("There are 0 active users in the chatroom.");
  await client.type("3");
  assert.equal((await client.exited()).code, 0);
}

Deno.test("piped client sends a 70,000-character line whole, as two messages, and forgives its input", async () => {
  await using srv = await startServer();
  const cwd = `${srv.dir}/fire`;
  await Deno.mkdir(`${cwd}/attachments/subdir`, { recursive: true });
  await Deno.writeTextFile(`${cwd}/attachments/cool file.txt`, `${COOLFILE}\n`);
  await using cool = new SessionUser(srv.port, `${srv.dir}/cool/downloads`);
  await cool.session.join("Cool");
  await using fire = ProgramProcess.start(denoLauncher("client"), ["--port", String(srv.port)], {
    cwd,
  });
  await fire.waitFor("Your choice: ");
  await fire.type(" 2 ");
  await fire.type("Fire");
  await fire.waitFor("Server: Fire joined the chatroom.\n");
  const long = "ab😀 ".repeat(14_000);
  await fire.type(long);
  await fire.waitFor(
    `(Your line of ${long.length} characters was sent as 2 messages: the server takes at most 65536 bytes in one.)\n`,
  );
  await cool.waitFor(() => cool.events.filter((e) => e.type === "chat").length >= 2);
  assert.equal(cool.events.flatMap((e) => e.type === "chat" ? [e.text] : []).join(""), long);
  await fire.type(" a ");
  await fire.type(`"attachments/cool file.txt"`);
  await fire.waitFor("saved to downloads/cool file.txt)\n");
  await fire.type("a");
  await fire.type("");
  await fire.waitFor("Upload cancelled: no file path was given.\n");
  await fire.type("a");
  await fire.type("attachments/subdir");
  await fire.waitFor("\nCannot send attachments/subdir: it is a folder, not a file.\n");
  await fire.type(" q ");
  await fire.waitFor("Your choice: ");
  await fire.type("3");
  assert.equal((await fire.exited()).code, 0);
  assert.equal(fire.stdout.split("Cannot send").length, 2, "one message for the folder");
  assert.ok(!fire.stdout.includes("\x1b"), "no escape sequences in piped mode");
  assert.equal(fire.stderr, "");
});

Deno.test("Ctrl-C while a join waits for its answer stops the client at once: no error, no menu, nothing typed ahead run", async () => {
  const joinArrived = Promise.withResolvers<void>();
  await using fake = FakeServer.start((frame) => {
    if (hasFlag(frame, FLAG.JOIN_REQUEST)) joinArrived.resolve(); // and never answered
  });
  const cwd = await Deno.makeTempDir();
  try {
    await using client = ProgramProcess.start(
      denoLauncher("client"),
      ["--port", String(fake.port)],
      { cwd },
    );
    await client.waitFor("Your choice: ");
    await client.type("2");
    await client.type("Cool");
    await client.type("1"); // typed ahead: a report, were the menu to read it
    await joinArrived.promise;
    client.kill("SIGINT");
    assert.equal((await client.exited()).code, 130);
    const after = client.stdout.slice(client.stdout.indexOf("Please enter a username: "));
    assert.doesNotMatch(
      after,
      /closed the connection|Please select one of the following options|active user/,
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
