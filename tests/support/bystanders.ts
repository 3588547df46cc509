/**
 * Test support: a conversation that goes on beside an attack, and the check
 * that it was not disturbed — everything said arrived, in order, promptly,
 * and afterwards a newcomer can join, chat and receive an attachment, and
 * finds the whole conversation in the history.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FLAG, hasFlag } from "../../lib/shared/wire/flags.ts";
import { type Frame } from "../../lib/shared/wire/frame.ts";
import { TestClient, text } from "./harness.ts";

/** A line as a user saw it. */
export interface SeenLine {
  sender: string;
  text: string;
  timestamp: number;
}

/** Most milliseconds a bystander's message may take to arrive while the server is under attack. */
export const PROMPT_MS = 2000;

/** Two users, Cool and Fun, chatting beside whatever a test throws at the server. */
export class Bystanders implements AsyncDisposable {
  readonly port: number;
  readonly cool: TestClient;
  readonly fun: TestClient;
  /** Every bystander line, as the other bystander received it live, in order. */
  readonly said: SeenLine[] = [];
  /** Slowest delivery of a bystander line so far, in milliseconds. */
  slowestMs = 0;
  #checks = 0;

  private constructor(port: number, cool: TestClient, fun: TestClient) {
    this.port = port;
    this.cool = cool;
    this.fun = fun;
  }

  /** Cool and Fun join and say hello. */
  static async start(port: number): Promise<Bystanders> {
    const cool = await TestClient.join(port, "Cool");
    const fun = await TestClient.join(port, "Fun");
    const people = new Bystanders(port, cool, fun);
    await people.exchange("hello");
    return people;
  }

  /** Cool says something to Fun and Fun answers; both must arrive within {@linkcode PROMPT_MS}. */
  async exchange(tag: string): Promise<void> {
    await this.#say(this.cool, this.fun, `Cool: ${tag}`);
    await this.#say(this.fun, this.cool, `Fun: ${tag}, heard you`);
  }

  async #say(from: TestClient, to: TestClient, line: string): Promise<void> {
    const started = performance.now();
    from.say(line);
    const frame = await to.next((f) => f.flags === 0 && text(f) === line, PROMPT_MS);
    this.slowestMs = Math.max(this.slowestMs, performance.now() - started);
    this.said.push({ sender: frame.sender, text: line, timestamp: frame.timestamp });
  }

  /**
   * The room is healthy: a newcomer joins, finds every bystander line in its
   * history (in order, with the original timestamps), chats, and an
   * attachment it sends reaches Cool and Fun intact.
   */
  async assertHealthy(dir: string): Promise<void> {
    await this.exchange(`check ${++this.#checks}`);
    await using newcomer = await TestClient.connect(this.port);
    newcomer.send({ flags: FLAG.JOIN_REQUEST, username: `Check${this.#checks}` });
    const accept = await newcomer.next((f) => hasFlag(f, FLAG.JOIN_ACCEPT), PROMPT_MS);
    const replay: Frame[] = [];
    for (let i = 0; i < accept.number; i++) {
      replay.push(await newcomer.next((f) => hasFlag(f, FLAG.HISTORY), PROMPT_MS));
    }
    assertSubsequence(
      replay.filter((f) => (f.flags & ~FLAG.HISTORY) === 0).map(seen),
      this.said,
    );
    newcomer.say("newcomer here");
    await this.cool.nextText("newcomer here", PROMPT_MS);
    const body = `attachment check ${this.#checks}\n`;
    const path = `${dir}/check-${this.#checks}.txt`;
    await Deno.writeTextFile(path, body);
    await newcomer.upload(path, `check-${this.#checks}.txt`);
    for (const user of [this.cool, this.fun]) {
      const file = await user.next((f) => hasFlag(f, FLAG.ATTACHMENT), PROMPT_MS);
      assert.equal(text(file), body);
    }
    newcomer.send({ flags: FLAG.QUIT_REQUEST });
    await this.fun.nextText(`Check${this.#checks} left the chatroom.`, PROMPT_MS);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.cool.close();
    await this.fun.close();
  }
}

function seen(frame: Frame): SeenLine {
  return { sender: frame.sender, text: text(frame), timestamp: frame.timestamp };
}

/** Every line of `wanted` appears in `lines`, in the same order (others may come between). */
export function assertSubsequence(lines: SeenLine[], wanted: SeenLine[]): void {
  let at = 0;
  for (const line of lines) {
    const next = wanted[at];
    if (next && line.text === next.text) {
      assert.deepEqual(line, next, `history entry for ${JSON.stringify(next.text)}`);
      at++;
    }
  }
  assert.equal(
    at,
    wanted.length,
    `history lacks ${JSON.stringify(wanted[at]?.text)}; it holds ${
      JSON.stringify(lines.map((l) => l.text))
    }`,
  );
}

/** Opens a raw connection, sends `bytes`, and returns what the server answered until it closed. */
export async function sendRaw(
  port: number,
  bytes: Uint8Array,
  timeoutMs = 5000,
): Promise<{ frames: Frame[]; closed: boolean }> {
  await using attacker = await TestClient.connect(port);
  await attacker.sendRaw(bytes);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([
    attacker.closed.then(() => true),
    new Promise<boolean>((r) => timer = setTimeout(() => r(false), timeoutMs)),
  ]);
  clearTimeout(timer);
  return { frames: [...attacker.frames], closed };
}
