// Drives the daemon's web dashboard in the system's headless Chromium, step by step with the Rust test
// (tests/dashboard.rs), which owns the daemon: it prints `step: NAME` lines and fails loudly on anything else.
//
// Environment: BASE_URL, TOKEN, SESSION (the session the test makes appear), SCREENSHOT (png path),
// CHROMIUM (default /usr/bin/chromium).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const { BASE_URL, TOKEN, SESSION, SCREENSHOT } = process.env;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const step = (name) => console.log(`step: ${name}`);
const TIMEOUT = 30_000;

const profile = mkdtempSync(join(tmpdir(), "palingenesis-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 412, height: 915 }, // a phone
  deviceScaleFactor: 1,
  timeout: TIMEOUT,
});
try {
  context.setDefaultTimeout(TIMEOUT);
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const requested = [];
  page.on("request", (r) => requested.push(r.url()));

  await page.goto(BASE_URL);
  await page.locator("#signin").waitFor({ state: "visible" });
  step("sign-in-shown");
  await page.fill("#token", TOKEN);
  await page.click("#signin-form button[type=submit]");
  await page.locator("#app").waitFor({ state: "visible" });
  await page.waitForFunction(() => document.getElementById("live").textContent === "live");
  step("signed-in");

  // The test now makes a session stop; it must appear without a reload.
  const card = page.locator(`[data-session="${SESSION}"]`);
  await card.waitFor({ state: "visible" });
  await card.locator(".countdown").waitFor();
  const first = await card.locator(".countdown").textContent();
  if (!/^in \d/.test(first)) throw new Error(`countdown reads ${JSON.stringify(first)}`);
  await page.waitForFunction(
    ([id, before]) => document.querySelector(`[data-session="${id}"] .countdown`)?.textContent !== before,
    [SESSION, first],
  );
  const reason = await card.locator(".reason").textContent();
  if (reason !== "usage_limit") throw new Error(`reason reads ${JSON.stringify(reason)}`);
  await page.locator("#events .ev-StopDetected").first().waitFor();
  await page.locator("#events .ev-ResumeScheduled").first().waitFor();
  step(`session-live ${first}`);
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  step("screenshot");

  await card.locator('button[data-action="/api/v1/abort"]').click();
  await page.waitForFunction((id) =>
    document.querySelector(`[data-session="${id}"] .state`)?.textContent === "stopped", SESSION);
  await page.locator("#events .ev-ResumeCancelled").first().waitFor();
  await page.click("#pause");
  await page.waitForFunction(() => document.getElementById("mode").textContent === "paused");
  step("clicked");

  if (requested.some((u) => u.includes(TOKEN))) throw new Error("the token appeared in a URL");
  if (requested.some((u) => !u.startsWith(BASE_URL))) throw new Error(`a request left the daemon: ${requested}`);
  const stored = await page.evaluate(() => JSON.stringify(localStorage) + document.cookie);
  if (stored.includes(TOKEN)) throw new Error("the token is readable by scripts");
  if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
  step("done");
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
