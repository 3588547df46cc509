/**
 * A share of the fan-out scenario's chat clients, all in this one process.
 * Every client both sends and receives; latency is measured at every
 * receiver against the send time carried in the message, on the wall clock
 * all processes share. The phases are {@linkcode FanoutPhases}'.
 *
 * Commands:
 * - `join {port, first, count}`: joins clients `first` … `first+count-1`.
 * - `steady {startMs, rate, messages, total, bytes}` → `{latency, received, expected}`:
 *   from `startMs`, each client sends `messages` lines at `rate` per second;
 *   the `total` clients of all processes are staggered evenly over one
 *   period. Ends when every line has reached every client here, or 10 s
 *   after the last send.
 * - `saturate {startMs, messages, window, total, bytes}` →
 *   `{received, expected, endMs}`: from `startMs` each client sends
 *   `messages` lines as fast as the server echoes them, with at most
 *   `window` unanswered.
 *
 * @module
 */
import type { FrameHeader } from "../../lib/shared/wire/frame.ts";
import { BenchClient } from "../support/bench_client.ts";
import {
  type FanoutMember,
  FanoutPhases,
  lineField,
  runFanoutWorker,
} from "../support/fanout_phases.ts";

interface Member extends FanoutMember {
  /** `fan<index>`. */
  name: string;
  client: BenchClient;
}

const members: Member[] = [];
const phases = new FanoutPhases({ echoesToSender: true });

await runFanoutWorker(phases, members, join);
await Promise.all(members.map((m) => m.client.close()));

async function join(port: number, first: number, count: number): Promise<void> {
  for (let index = first; index < first + count; index++) {
    const member = {
      index,
      name: `fan${index}`,
      answered: 0,
      send: (text: string) => member.client.send({ payload: text }),
    } as Member;
    member.client = await BenchClient.join(port, member.name, {
      sink: (header, payload, receivedMs) => onFrame(member, header, payload, receivedMs),
    });
    members.push(member);
  }
}

/** A saturation line counts as answered when its echo reaches its own sender. */
function onFrame(
  member: Member,
  header: FrameHeader,
  payload: Uint8Array,
  receivedMs: number,
): void {
  if (header.flags !== 0 || payload.length === 0) return;
  const kind = payload[0];
  if (kind === 0x4c /* L */) {
    phases.steadyLine(lineField(payload, 3), receivedMs);
  } else if (kind === 0x53 /* S */) {
    phases.saturateLine(receivedMs, header.sender === member.name ? member : undefined);
  }
}
