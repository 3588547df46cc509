/**
 * Generated avatars, as Chromium paints them: the assignment's first names
 * get colours people tell apart at a glance, each with readable initials.
 */
import assert from "node:assert/strict";
import { startServer, TestClient } from "../support/harness.ts";
import { startGuiClient } from "../support/client_programs.ts";
import { launchBrowser } from "../support/browser.ts";
import { contrastRatio, deltaE, parseColour } from "../support/colour.ts";
import { computedStyle, computedStyles } from "../support/computed_style.ts";

const NAMES = ["Cool", "Fun", "Fire", "Sad"];
/** CIE76 ΔE that counts as clearly different: ten times the just noticeable difference. */
const CLEARLY_DISTINCT = 23;

Deno.test("the generated avatars of Cool, Fun, Fire and Sad are clearly distinct colours", async (t) => {
  await using srv = await startServer({ maxUsers: NAMES.length });
  const users: TestClient[] = [];
  for (const name of NAMES) users.push(await TestClient.join(srv.port, name));
  try {
    await using gui = await startGuiClient(srv.port, `${srv.dir}/gui`);
    await using browser = await launchBrowser();
    const page = await browser.open(gui.url);
    await page.getByText("There are 4 active users in the chatroom.").waitFor();
    const names = await page.locator("#report-list li .name").allTextContents();
    const styles = await computedStyles(page.locator("#report-list li .avatar.generated"), [
      "backgroundColor",
      "color",
    ]);
    const painted = names.map((name, i) => ({
      name,
      background: styles[i].backgroundColor,
      initials: styles[i].color,
    }));
    assert.deepEqual(painted.map((p) => p.name), NAMES);

    await t.step("pairwise, by CIE76 ΔE", () => {
      const far: string[] = [];
      for (let i = 0; i < painted.length; i++) {
        for (let j = i + 1; j < painted.length; j++) {
          const a = painted[i], b = painted[j];
          const distance = deltaE(parseColour(a.background), parseColour(b.background));
          if (distance < CLEARLY_DISTINCT) {
            far.push(`${a.name} ${a.background} and ${b.name} ${b.background}: ΔE ${distance}`);
          }
        }
      }
      assert.deepEqual(far, [], "colours too close");
    });

    await t.step("the old colours of Cool and Fun would have failed that", () => {
      const old = deltaE(parseColour("rgb(162, 56, 178)"), parseColour("rgb(150, 56, 178)"));
      assert.ok(old < CLEARLY_DISTINCT, `ΔE ${old}`);
    });

    await t.step("the initials on each colour meet WCAG AA (4.5:1)", () => {
      for (const p of painted) {
        const ratio = contrastRatio(parseColour(p.initials), parseColour(p.background));
        assert.ok(ratio >= 4.5, `${p.name}: ${p.initials} on ${p.background} is ${ratio}:1`);
      }
    });

    await t.step("a name has the same colour in the join form's preview", async () => {
      for (const p of painted) {
        await page.fill("#username", p.name);
        const preview = page.locator("#avatar-preview .avatar.generated");
        const { backgroundColor } = await computedStyle(preview, ["backgroundColor"]);
        assert.equal(backgroundColor, p.background, p.name);
      }
    });
    assert.deepEqual(browser.pageErrors, []);
  } finally {
    for (const user of users) await user.close();
  }
});
