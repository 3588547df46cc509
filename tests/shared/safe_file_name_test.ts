import assert from "node:assert/strict";
import {
  MAX_SAFE_NAME_BYTES,
  numberedName,
  safeFileName,
} from "../../lib/shared/files/safe_file_name.ts";
import { utf8Length } from "../../lib/shared/wire/wire_bytes.ts";

Deno.test({
  name: "safeFileName() cuts a long non-ASCII name to the byte limit, keeping its extension",
  permissions: "none",
  fn: async (t) => {
    for (
      const [what, name] of [
        ["86 CJK characters", "漢".repeat(86) + ".txt"],
        ["emoji (4 bytes, 2 UTF-16 units each)", "😀".repeat(80) + ".png"],
        ["accents (2 bytes each)", "é".repeat(200) + ".pdf"],
        ["a non-ASCII extension", "名".repeat(90) + ".文本"],
      ]
    ) {
      await t.step(what, () => {
        const safe = safeFileName(name);
        assert.ok(utf8Length(safe) <= MAX_SAFE_NAME_BYTES, `${utf8Length(safe)} bytes`);
        assert.ok(name.startsWith(safe.slice(0, safe.lastIndexOf("."))), "cut on a boundary");
        assert.ok(!safe.includes("\ufffd"));
        assert.equal(safe.slice(safe.lastIndexOf(".")), name.slice(name.lastIndexOf(".")));
        // Numbered, it still fits the file system's 255 bytes.
        assert.ok(utf8Length(numberedName(safe, 999_999_999)) <= 255);
      });
    }
  },
});

Deno.test({
  name: "safeFileName() leaves a name within both limits as it is",
  permissions: "none",
  fn: () => {
    const name = "漢".repeat(80) + ".txt"; // 244 bytes: one over
    assert.equal(safeFileName("漢".repeat(79) + ".txt"), "漢".repeat(79) + ".txt");
    assert.equal(safeFileName(name), "漢".repeat(79) + ".txt");
  },
});
