import assert from "node:assert/strict";
import { typedPath } from "../../lib/client/terminal/typed_path.ts";

Deno.test("typedPath() understands paths as people and drag-and-drop type them", async (t) => {
  await t.step("spaces around are dropped", () => {
    assert.equal(typedPath("  attachments/coolfile1.txt \t", "linux"), "attachments/coolfile1.txt");
  });
  await t.step("quotes around are removed", () => {
    assert.equal(
      typedPath("'/home/fire/My Files/cool file.txt'", "linux"),
      "/home/fire/My Files/cool file.txt",
    );
    assert.equal(typedPath('"attachments/cool file.txt"', "linux"), "attachments/cool file.txt");
    assert.equal(
      typedPath('"C:\\Users\\Fire\\cool file.txt"', "windows"),
      "C:\\Users\\Fire\\cool file.txt",
    );
  });
  await t.step(
    "backslash-escaped spaces and shell characters are undone, except on Windows",
    () => {
      assert.equal(
        typedPath("attachments/cool\\ file\\ \\(1\\).txt", "linux"),
        "attachments/cool file (1).txt",
      );
      assert.equal(typedPath("attachments\\cool.txt", "windows"), "attachments\\cool.txt");
    },
  );
  await t.step("a file:// URL is a path", () => {
    assert.equal(typedPath("file:///tmp/cool%20file.txt", "linux"), "/tmp/cool file.txt");
  });
  await t.step("nothing typed is empty; a lone quote is kept", () => {
    assert.equal(typedPath("   ", "linux"), "");
    assert.equal(typedPath("'", "linux"), "'");
  });
});
