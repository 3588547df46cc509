import assert from "node:assert/strict";
import { PageMessageError, parseFromPage } from "../../lib/gui/page_protocol.ts";

Deno.test("parseFromPage() reads every command the page sends", () => {
  assert.deepEqual(parseFromPage('{"t":"report"}'), { t: "report" });
  assert.deepEqual(parseFromPage('{"t":"dismiss"}'), { t: "dismiss" });
  assert.deepEqual(parseFromPage('{"t":"say","text":"<b>hi</b>"}'), {
    t: "say",
    text: "<b>hi</b>",
  });
  assert.deepEqual(parseFromPage('{"t":"send-file","name":"a.png"}'), {
    t: "send-file",
    name: "a.png",
  });
  assert.deepEqual(parseFromPage('{"t":"join","username":"Cool"}'), {
    t: "join",
    username: "Cool",
  });
  assert.deepEqual(
    parseFromPage('{"t":"join","username":"Cool","avatar":{"name":"a.png","data":"AA=="}}'),
    { t: "join", username: "Cool", avatar: { name: "a.png", data: "AA==" } },
  );
});

Deno.test("parseFromPage() names what is wrong with a bad message", async (t) => {
  const cases: [string, RegExp][] = [
    ["not json", /^Cannot read the page's message: /],
    ["[]", /it has no type/],
    ['{"t":"rm -rf"}', /"rm -rf": the type is unknown/],
    ['{"t":"say","text":5}', /"say": text is not a string/],
    [
      '{"t":"join","username":"a","avatar":{"name":"a.png"}}',
      /avatar needs a name and base64 data/,
    ],
  ];
  for (const [raw, message] of cases) {
    await t.step(raw, () => {
      assert.throws(
        () => parseFromPage(raw),
        (e) => e instanceof PageMessageError && message.test(e.message),
      );
    });
  }
});
