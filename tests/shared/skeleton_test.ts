import assert from "node:assert/strict";
import { skeleton } from "../../lib/shared/skeleton.ts";

Deno.test({
  name: "skeleton() maps look-alikes from confusables.txt to one prototype",
  permissions: "none",
  fn() {
    assert.equal(skeleton("\u0405erver"), skeleton("Server")); // Cyrillic capital dze
    assert.equal(skeleton("F\u057dn"), "Fun"); // Armenian small seh
    assert.equal(skeleton("\u0391\u0392\u0395"), "ABE"); // Greek capitals
    assert.equal(skeleton("m"), "rn");
    assert.equal(skeleton("0"), "O");
    assert.equal(skeleton("Fun"), "Fun");
    assert.equal(skeleton("王伟"), "王伟");
  },
});

Deno.test({
  name: "skeleton() decomposes before mapping, as TR39 says",
  permissions: "none",
  fn() {
    // confusables.txt lists precomposed ö as a look-alike of Arabic teh marbuta;
    // after NFD it is o + U+0308 and keeps looking like ö.
    assert.equal(skeleton("\u00f6"), "o\u0308");
    assert.equal(skeleton("Zo\u00eb"), skeleton("Zoe\u0308"));
    assert.equal(skeleton("Jos\u00e9"), "Jose\u0301");
  },
});
