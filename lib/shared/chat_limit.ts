/**
 * How long one chat message may be: the server's limit, which both clients
 * split long text under.
 *
 * @module
 */

/**
 * Most bytes of UTF-8 in one chat message's PAYLOAD (64 KiB): what the
 * server's room accepts by default (`maxMessageBytes`); longer ones it refuses.
 */
export const MAX_CHAT_BYTES = 64 * 1024;
