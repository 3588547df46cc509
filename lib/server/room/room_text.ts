/**
 * The texts the room sends: the assignment's, byte for byte, and ours.
 *
 * @module
 */

/** The texts the assignment prescribes, byte for byte, and the room's own. */
export const TEXT = {
  roomFull: "The server rejects the join request. The chatroom has reached its maximum capacity.",
  usernameTaken: "The server rejects the join request. Another user is using this username.",
  invalidUsername: (why: string) =>
    `The server rejects the join request. The username is not allowed: ${why}.`,
  invalidAvatar: (why: string) =>
    `The server rejects the join request. The avatar is not accepted: ${why}.`,
  joined: (name: string) => `${name} joined the chatroom.`,
  left: (name: string) => `${name} left the chatroom.`,
  notJoined: "You are not in the chatroom. Join it first.",
  alreadyJoined: (name: string) => `You are already in the chatroom as ${name}.`,
  emptyMessage: "Cannot post an empty message.",
  messageTooLong: (bytes: number, max: number) =>
    `Cannot post the message: it is ${bytes} bytes, over the limit of ${max} bytes.`,
  shuttingDown: "The server is shutting down.",
} as const;
