import assert from "node:assert/strict";
import { SERVER_NAME, usernameKey, usernameProblem } from "../../lib/shared/username.ts";

/** `name` as code points, so a failure shows what the invisible ones are. */
const show = (name: string) =>
  [...name].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`)
    .join(" ");

Deno.test({
  name: "usernameProblem() rejects every invisible (Default_Ignorable) character, naming it",
  permissions: "none",
  fn() {
    const listed = [0x00ad, 0x034f, 0xfe0f, 0xe0020, 0x3164, 0x180e];
    const others = [
      0x115f,
      0x1160,
      0x17b4,
      0x180b,
      0xfe00,
      0xffa0,
      0x1bca0,
      0x1d173,
      0xe0001,
      0xe01ef,
    ];
    for (const code of [...listed, ...others]) {
      const char = String.fromCodePoint(code);
      const label = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
      for (const name of [`Fun${char}`, `F${char}un`, `${char}Fun`, char]) {
        assert.equal(
          usernameProblem(name),
          `it contains the invisible character ${label}`,
          `${show(name)} must be refused`,
        );
      }
    }
  },
});

Deno.test({
  name:
    "usernameProblem() rejects characters that print as blank space, naming them; the space bar's inside a name is fine",
  permissions: "none",
  fn() {
    for (const code of [0x2800, 0x1680, 0x2028, 0x0085]) {
      const char = String.fromCodePoint(code);
      const label = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
      for (const name of [`Fun${char}x`, `F${char}un`, char]) {
        assert.match(
          usernameProblem(name) ?? "accepted",
          new RegExp(
            `^it contains (the blank character ${
              RegExp.escape(label)
            }|control or formatting characters)$|^it is empty$`,
          ),
          `${show(name)} must be refused`,
        );
      }
      assert.notEqual(usernameProblem(`Bystander${char}`), null, `${show(`Bystander${char}`)}`);
    }
    assert.equal(usernameProblem("Bystander\u2800"), "it contains the blank character U+2800");
    assert.equal(usernameProblem("Cool Guy"), null);
    // Spaces NFKC makes plain ones are names with a space, and compare as such.
    assert.equal(usernameProblem("山田\u3000太郎"), null);
    assert.equal(usernameKey("山田\u3000太郎"), usernameKey("山田 太郎"));
    assert.equal(usernameKey("Co\u00a0ol"), usernameKey("Co ol"));
    assert.equal(usernameProblem("Fun\u00a0"), "it starts or ends with a space");
  },
});

Deno.test({
  name: "usernameKey(): a dot above i or j changes nothing (it prints as their own dot)",
  permissions: "none",
  fn() {
    assert.equal(usernameKey("Fi\u0307re"), usernameKey("Fire"));
    assert.equal(usernameKey("Ji\u0307m"), usernameKey("jim"));
    assert.notEqual(
      usernameKey("Fe\u0307re"),
      usernameKey("Fere"),
      "on other letters the dot shows",
    );
  },
});

Deno.test({
  name: "usernameProblem() refuses any name that looks like Server, in any case",
  permissions: "none",
  fn() {
    const lookAlikes = [
      SERVER_NAME,
      "server",
      "SERVER",
      "sErVeR",
      "\u0405erver", // Cyrillic capital dze
      "S\u0435rv\u0435r", // Cyrillic small ie, twice
      "\u0405\u0415RV\u0415R", // Cyrillic capitals dze and ie
      "\u13daerver", // Cherokee letter du
      "\uff33\uff45\uff52\uff56\uff45\uff52", // fullwidth
      "\ud835\udc12erver", // mathematical bold capital S
    ];
    for (const name of lookAlikes) {
      assert.match(
        usernameProblem(name) ?? "accepted",
        /^it looks like "Server", which is reserved for the server's announcements$/,
        `${name} (${show(name)}) must be refused`,
      );
    }
    assert.equal(usernameProblem("Serve"), null);
    assert.equal(usernameProblem("Servers"), null);
  },
});

Deno.test({
  name: "usernameProblem() still accepts ordinary names in any script",
  permissions: "none",
  fn() {
    for (
      const name of [
        "Cool",
        "Fun",
        "Fire",
        "José",
        "Zoë",
        "Ærøskøbing",
        "王伟",
        "さくら",
        "김민준",
        "Мария",
        "Νίκος",
        "محمد",
        "Jean Luc",
        "x_1",
      ]
    ) {
      assert.equal(usernameProblem(name), null, name);
      assert.equal(usernameProblem(name.normalize("NFD")), null, `${name} in NFD`);
    }
  },
});

Deno.test({
  name: "usernameKey() gives look-alikes, case and width variants the same key",
  permissions: "none",
  fn() {
    const same = [
      ["Fun", "F\u057dn"], // Armenian small seh
      ["Fun", "fun"],
      ["Fun", "FUN"],
      ["Fun", "\uff26\uff35\uff2e"], // fullwidth
      ["FUN", "f\u057dn"], // case and look together
      ["Nick", "\u039dick"], // Greek capital nu
      ["Hans", "\u0397\u0391\u039dS"], // Greek capitals
      ["paypal", "p\u0430yp\u0430l"], // Cyrillic small a
      ["Cool", "C00l"],
      ["lan", "Ian"], // capital I looks like small l
      ["Ivan", "ivan"],
      ["MIKE", "mike"],
      ["Tim", "Tirn"],
    ];
    for (const [a, b] of same) {
      assert.equal(usernameKey(a), usernameKey(b), `${a} and ${b} (${show(b)})`);
    }
  },
});

Deno.test({
  name: "usernameKey() makes an NFC name and its NFD form collide",
  permissions: "none",
  fn() {
    for (const name of ["José", "Zoë", "Ångström", "Nguyễn", "한글"]) {
      const nfd = name.normalize("NFD");
      assert.notEqual(nfd, name.normalize("NFC"), `${name} must have two forms`);
      assert.equal(usernameKey(nfd), usernameKey(name.normalize("NFC")), name);
    }
  },
});

Deno.test({
  name: "usernameKey() keeps names that look different apart",
  permissions: "none",
  fn() {
    const different = [
      ["José", "Jose"],
      ["Zoë", "Zoe"],
      ["Fun", "Fan"],
      ["Dan", "Dav"],
      ["Cool", "Coal"],
      ["王伟", "王伟伟"],
      ["idle10", "idle01"],
    ];
    for (const [a, b] of different) assert.notEqual(usernameKey(a), usernameKey(b), `${a} vs ${b}`);
    const bench = new Set(Array.from({ length: 10_000 }, (_, i) => usernameKey(`idle${i}`)));
    assert.equal(bench.size, 10_000, "the bench's names idle0 … idle9999 stay distinct");
  },
});
