/**
 * The fan-out baseline: the least a Deno chat relay can do with the
 * chatroom's wire protocol. It accepts every JOIN_REQUEST and relays every
 * chat line, stamped with its sender and the time, to everyone who joined,
 * through the chatroom's own codec and transport (`lib/protocol.ts`,
 * `lib/transport.ts`). No room rules, no history, no log, no guards: what
 * the real server costs beyond this is the cost of being a chatroom.
 *
 * Run like `server.ts` (it reads `--host` and `--port`, ignores the rest)
 * and says `Server listening on HOST:PORT` the same way.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { encodeFrame } from "../../lib/shared/wire/encode_frame.ts";
import { FLAG } from "../../lib/shared/wire/flags.ts";
import { type FrameHeader } from "../../lib/shared/wire/frame.ts";
import { FrameReader } from "../../lib/shared/net/frame_reader.ts";
import { FrameSender } from "../../lib/shared/net/frame_sender.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { host: { type: "string", default: "127.0.0.1" }, port: { type: "string" } },
  strict: false,
});
const listener = Deno.listen({ hostname: String(values.host), port: Number(values.port ?? 0) });
console.log(`Server listening on ${values.host}:${listener.addr.port}`);

const members = new Set<FrameSender>();

for await (const conn of listener) {
  conn.setNoDelay(true);
  serve(conn).catch(() => {/* a peer that goes away is not the baseline's concern */});
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  const reader = new FrameReader(conn);
  const sender = new FrameSender(conn);
  let username = "";
  try {
    while (true) {
      const header: FrameHeader | null = await reader.readHeader();
      if (!header) return;
      const payload = await reader.readPayload(header);
      if (header.flags === FLAG.JOIN_REQUEST) {
        username = header.username;
        sender.send(encodeFrame({ flags: FLAG.JOIN_ACCEPT, username, timestamp: Date.now() }));
        members.add(sender);
      } else if (header.flags === 0 && username) {
        const frame = encodeFrame({ sender: username, timestamp: Date.now(), payload });
        for (const member of members) member.send(frame);
      }
    }
  } finally {
    members.delete(sender);
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}
