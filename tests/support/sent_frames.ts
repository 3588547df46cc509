/**
 * Test support: the frames a room decision sends, one item per frame, so
 * tests can index and filter them (a joiner's replay and avatar stream are
 * one {@linkcode Outgoing} item each, holding many frames).
 *
 * @module
 */
import type { FrameInit } from "../../lib/shared/wire/frame.ts";
import type { ConnId, Outgoing } from "../../lib/server/room/outgoing.ts";
import type { HistoryEntry, HistoryStore } from "../../lib/server/history/history.ts";
import { entryFrame } from "../../lib/server/room/entry_frame.ts";
import { transferEndFrame } from "../../lib/server/room/transfers.ts";

/** One frame, whom it goes to, and the kind of item it came from. */
export interface SentFrame {
  kind: Outgoing["kind"];
  to: ConnId[];
  frame: FrameInit;
}

/**
 * Every frame of `out`, in the order they are sent. A replay is a range of
 * the history: pass the room's `history` to read it (a replay without one
 * throws).
 */
export function sentFrames(out: Outgoing[], history?: HistoryStore): SentFrame[] {
  return out.flatMap((o): SentFrame[] => {
    switch (o.kind) {
      case "frame":
        return [{ kind: o.kind, to: o.to, frame: o.frame }];
      case "live":
        return [{ kind: o.kind, to: o.to, frame: entryFrame(o.entry, false) }];
      case "replay": {
        if (!history) throw new Error("sentFrames() needs the history to read a replay");
        return replayed(history, o).map((e) => ({
          kind: o.kind,
          to: [o.to],
          frame: entryFrame(e, true),
        }));
      }
      case "stream":
        return o.frames.map((frame) => ({ kind: o.kind, to: [o.to], frame }));
      case "end":
        return [{ kind: o.kind, to: o.to, frame: transferEndFrame(o.transfer, o.entry) }];
    }
  });
}

/** The entries of a replay's range, read page by page as the server does. */
export function replayed(
  history: HistoryStore,
  range: { fromSeq: number; toSeq: number },
): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (let after = range.fromSeq - 1; after < range.toSeq;) {
    const page = history.page(after, 100).filter((e) => e.seq <= range.toSeq);
    if (page.length === 0) break;
    entries.push(...page);
    after = page[page.length - 1].seq;
  }
  return entries;
}
