import assert from "node:assert/strict";
import { peerErrorText } from "../../lib/shared/error_text.ts";

Deno.test({
  name: "peerErrorText() leaves out every path",
  permissions: "none",
  fn: async (t) => {
    const cases: [string, string][] = [
      [
        "File name too long (os error 36): open '/srv/downloads/漢.txt'",
        "File name too long (os error 36)",
      ],
      [
        "Is a directory (os error 21): rename '/a/b.part' -> '/a/c'",
        "Is a directory (os error 21)",
      ],
      ["cannot open /var/lib/chat/chatroom.db now", "cannot open now"],
      ["C:\\Users\\x\\downloads\\a.txt failed", "failed"],
      ["database or disk is full", "database or disk is full"],
      ["it's fine, isn't it", "it's fine, isn't it"],
    ];
    for (const [message, expected] of cases) {
      await t.step(message, () => assert.equal(peerErrorText(new Error(message)), expected));
    }
  },
});

Deno.test({
  name: "peerErrorText() hides the path of a real file system error",
  permissions: { read: true },
  fn: async () => {
    const dir = new URL(".", import.meta.url).pathname;
    const error = await Deno.readFile(`${dir}no-such-file`).catch((e) => e);
    assert.ok(error instanceof Deno.errors.NotFound);
    assert.ok(!peerErrorText(error).includes(dir), peerErrorText(error));
    assert.match(peerErrorText(error), /No such file|not found/i);
  },
});
