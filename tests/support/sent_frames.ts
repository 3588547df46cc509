/**
 * Test support: the frames a room decision sends, one item per frame, so
 * tests can index and filter them (a joiner's replay and avatar stream are
 * one {@linkcode Outgoing} item each, holding many frames).
 *
 * @module
 */
import type { FrameInit } from "../../lib/shared/wire/frame.ts";
import type { ConnId, Outgoing } from "../../lib/server/room/outgoing.ts";
import { entryFrame } from "../../lib/server/room/entry_frame.ts";

/** One frame, whom it goes to, and the kind of item it came from. */
export interface SentFrame {
  kind: Outgoing["kind"];
  to: ConnId[];
  frame: FrameInit;
}

/** Every frame of `out`, in the order they are sent. */
export function sentFrames(out: Outgoing[]): SentFrame[] {
  return out.flatMap((o): SentFrame[] => {
    switch (o.kind) {
      case "frame":
        return [{ kind: o.kind, to: o.to, frame: o.frame }];
      case "live":
        return [{ kind: o.kind, to: o.to, frame: entryFrame(o.entry, false) }];
      case "replay":
        return o.entries.map((e) => ({ kind: o.kind, to: [o.to], frame: entryFrame(e, true) }));
      case "stream":
        return o.frames.map((frame) => ({ kind: o.kind, to: [o.to], frame }));
    }
  });
}
