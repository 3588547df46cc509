/**
 * The assignment's section 7, steps 2–8, against a real server on a real
 * socket, with four users who each have their own downloads folder.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { SessionUser } from "../support/session_user.ts";

const COOLFILE =
  "I am on a light diet: I eat in daylight, I eat in moonlight, and sometimes, I eat in refrigerator light!";

/** What Fire sees when it first joins (step 4), and again at the start of its history (step 8). */
const UNTIL_FIRE_JOINS = [
  "Server: Cool joined the chatroom.",
  "Cool: Hi",
  "Server: Fun joined the chatroom.",
  "Fun: Hi Cool, are you there?",
  "Cool: Hey Fun, glad that you joined. We can chat now.",
  "Fun: Let's wait for Fire. He wanted to join.",
  "Cool: Ok",
  "Server: Fire joined the chatroom.",
];

Deno.test("section 7: Cool, Fun, Fire and Sad walk through the assignment's test", async () => {
  await using srv = await startServer();
  const home = (name: string) => `${srv.dir}/${name}/downloads`;
  await using cool = new SessionUser(srv.port, home("cool"));
  await using fun = new SessionUser(srv.port, home("fun"));
  await using fire = new SessionUser(srv.port, home("fire"));
  await using sad = new SessionUser(srv.port, home("sad"));

  // Step 2: Cool joins and says Hi.
  assert.deepEqual(await cool.session.join("Cool"), { accepted: true, username: "Cool" });
  cool.session.say("Hi");
  await cool.waitForLine("Cool: Hi");

  // Step 3: Fun joins, sees the history, and they chat.
  assert.equal((await fun.session.join("Fun")).accepted, true);
  await fun.waitForLine("Server: Fun joined the chatroom.");
  assert.deepEqual(fun.lines.slice(0, 2), ["Server: Cool joined the chatroom.", "Cool: Hi"]);
  const history = fun.events.filter((e) => "history" in e && e.history);
  assert.equal(history.length, 2);
  const conversation: [SessionUser, string][] = [
    [fun, "Hi Cool, are you there?"],
    [cool, "Hey Fun, glad that you joined. We can chat now."],
    [fun, "Let's wait for Fire. He wanted to join."],
    [cool, "Ok"],
  ];
  for (const [user, text] of conversation) {
    user.session.say(text);
    const line = `${user === cool ? "Cool" : "Fun"}: ${text}`;
    await cool.waitForLine(line);
    await fun.waitForLine(line);
  }

  // Step 4: a third client asks for "Fun" (rejected), then joins as Fire.
  assert.deepEqual(await fire.session.join("Fun"), {
    accepted: false,
    code: 2,
    text: "The server rejects the join request. Another user is using this username.",
  });
  assert.equal((await fire.session.join("Fire")).accepted, true);
  await fire.waitForLine("Server: Fire joined the chatroom.");
  assert.deepEqual(fire.lines, UNTIL_FIRE_JOINS);

  // Step 5: Sad is rejected (room full), gets the report, and leaves.
  const rejected = await sad.session.join("Sad");
  assert.deepEqual(rejected, {
    accepted: false,
    code: 1,
    text: "The server rejects the join request. The chatroom has reached its maximum capacity.",
  });
  const report = await sad.session.report();
  assert.equal(report.count, 3);
  assert.deepEqual(report.users.map((u) => u.username), ["Cool", "Fun", "Fire"]);
  assert.ok(report.users.every((u) => u.hostname === "127.0.0.1" && u.port > 0));
  await sad.session.close();

  // Step 6: chat, then Fire uploads attachments/coolfile1.txt.
  for (
    const [user, text] of [
      [fire, "Hey guys! I just joined."],
      [cool, "What's up Fire?"],
      [fun, "Hey Fire."],
      [fire, "Guys, I want to attach a cool file!"],
    ] as const
  ) {
    user.session.say(text);
    await cool.waitFor((e) => e.type === "chat" && e.text === text);
  }
  const source = `${srv.dir}/attachments/coolfile1.txt`;
  await Deno.mkdir(`${srv.dir}/attachments`);
  await Deno.writeTextFile(source, COOLFILE);
  for (const user of [cool, fun, fire]) {
    await assert.rejects(Deno.stat(`${user.downloads}/coolfile1.txt`), Deno.errors.NotFound);
  }
  await fire.session.upload(source);
  for (const user of [cool, fun, fire]) {
    await user.waitForLine("Fire: [file coolfile1.txt]");
    assert.equal(await Deno.readTextFile(`${user.downloads}/coolfile1.txt`), COOLFILE);
  }
  assert.equal(await Deno.readTextFile(`${srv.downloads}/coolfile1.txt`), COOLFILE);

  // Step 7: more chat; Fire says goodbye and quits; everyone else sees it.
  for (
    const [user, text] of [
      [fun, "Hahaha"],
      [cool, "That was cool! :)"],
      [fire, "Alright guys. I should leave now. Buy."],
    ] as const
  ) {
    user.session.say(text);
    await fire.waitFor((e) => e.type === "chat" && e.text === text);
  }
  await fire.session.quit();
  assert.equal(fire.session.connected, false);
  await cool.waitForLine("Server: Fire left the chatroom.");
  await fun.waitForLine("Server: Fire left the chatroom.");
  assert.ok(!fire.lines.includes("Server: Fire left the chatroom."), "the leaver is not told");

  // Step 8: Cool says "Buy Fire."; Fire does not see it, rejoins, and finds it in the history.
  cool.session.say("Buy Fire.");
  await fun.waitForLine("Cool: Buy Fire.");
  assert.ok(!fire.lines.includes("Cool: Buy Fire."));
  const before = fire.events.length;
  assert.equal((await fire.session.join("Fire")).accepted, true);
  await fire.waitFor((e) =>
    e.type === "announcement" && !e.history && e.text === "Fire joined the chatroom." &&
    fire.events.indexOf(e) >= before
  );
  assert.deepEqual(fire.linesSince(before), [
    ...UNTIL_FIRE_JOINS,
    "Fire: Hey guys! I just joined.",
    "Cool: What's up Fire?",
    "Fun: Hey Fire.",
    "Fire: Guys, I want to attach a cool file!",
    "Fire: [file coolfile1.txt]",
    "Fun: Hahaha",
    "Cool: That was cool! :)",
    "Fire: Alright guys. I should leave now. Buy.",
    "Server: Fire left the chatroom.",
    "Cool: Buy Fire.",
    "Server: Fire joined the chatroom.",
  ]);
  // The replayed attachment matched the copy Fire already had: no duplicate file.
  const names = [];
  for await (const e of Deno.readDir(fire.downloads)) names.push(e.name);
  assert.deepEqual(names, ["coolfile1.txt"]);
});
