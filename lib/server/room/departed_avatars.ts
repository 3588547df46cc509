/**
 * The avatars of users who left, kept so that their lines in the history
 * still show them to users who join later.
 *
 * @module
 */
import type { AvatarImage } from "../../shared/avatar.ts";

/**
 * How many avatars of users who have left the room keeps (the most recent
 * leavers), and how many bytes of them in all: every joiner may be sent them
 * all, so they must not cost a join much (a 256 KiB avatar each would be
 * 8 MiB).
 */
export const DEPARTED_AVATARS = { count: 32, bytes: 2 * 1024 * 1024 } as const;

/** A user who left, and the avatar it had. */
export interface DepartedAvatar {
  username: string;
  avatar: AvatarImage;
}

/**
 * Avatars of users who left, by username key, the longest gone first,
 * within {@linkcode DEPARTED_AVATARS}.
 */
export class DepartedAvatars {
  #byKey = new Map<string, DepartedAvatar>();
  #bytes = 0;

  /** Keeps the avatar of a user who left under `key`, forgetting the oldest past the limits. */
  remember(key: string, departed: DepartedAvatar): void {
    this.forget(key);
    this.#byKey.set(key, departed);
    this.#bytes += departed.avatar.bytes.length;
    while (this.#byKey.size > DEPARTED_AVATARS.count || this.#bytes > DEPARTED_AVATARS.bytes) {
      this.forget(this.#byKey.keys().next().value!);
    }
  }

  /** Forgets the avatar kept under `key` (someone joined under that name). */
  forget(key: string): void {
    const departed = this.#byKey.get(key);
    if (!departed) return;
    this.#byKey.delete(key);
    this.#bytes -= departed.avatar.bytes.length;
  }

  /**
   * The kept avatars of users for whom `hasEntries` is true (they have lines
   * in a joiner's history), longest gone first. At most
   * {@linkcode DEPARTED_AVATARS}.count questions, each an indexed look-up in
   * the store: the history itself is never read.
   */
  in(hasEntries: (username: string) => boolean): DepartedAvatar[] {
    // History entries carry the name as it was joined with, so the exact
    // name finds them; no normalizing a 100,000-entry history.
    return [...this.#byKey.values()].filter((d) => hasEntries(d.username));
  }
}
