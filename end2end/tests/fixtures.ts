import { test as base, expect, type BrowserContext, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";

/**
 * Every test, in every spec, automatically gets a page that records requests to any host but the server
 * under test (P7: nothing loads from third parties) and console errors
 * (a CSP violation or failed hydration shows up there). Both must be empty
 * when the test ends.
 */
let clients = 0;

export const test = base.extend<{ foreign: string[]; consoleErrors: string[]; client: string }>({
  /**
   * Each test is its own client: the test server trusts X-Forwarded-For (as
   * behind a load balancer), so per-client throttles never leak between tests.
   */
  client: [
    async ({ page }, use, testInfo) => {
      clients += 1;
      // Each worker process (Playwright starts one per project) has its own
      // index, so two tests never share an address within a run.
      const worker = testInfo.workerIndex;
      const address = `198.51.${100 + (worker % 100)}.${clients % 250}`;
      await page.setExtraHTTPHeaders({ "x-forwarded-for": address });
      await use(address);
    },
    { auto: true },
  ],
  foreign: [async ({ page, baseURL }, use) => {
    const origin = new URL(baseURL!).origin;
    const foreign: string[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (!["data:", "blob:"].includes(url.protocol) && url.origin !== origin) {
        foreign.push(request.url());
      }
    });
    await use(foreign);
    expect(foreign, "requests to other hosts").toEqual([]);
  }, { auto: true }],
  consoleErrors: [async ({ page }, use) => {
    const errors: string[] = [];
    page.on("console", (message) => {
      // Chromium reports every 4xx answer as a console error. A 404 page,
      // a 401/403 refusal, a form's 422 (bad input) and a 429 (throttled)
      // are the app speaking deliberately; 5xx, CSP violations and script
      // errors are faults.
      const deliberate = /status of (401|403|404|422|429)\b/.test(message.text());
      if (message.type() === "error" && !deliberate) errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await use(errors);
    expect(errors, "console errors").toEqual([]);
  }, { auto: true }],
});

export { expect };

/**
 * Axe's WCAG 2.0/2.1/2.2 A and AA rules must find nothing. Axe runs as a
 * script, so for a page opened without JavaScript the same HTML is checked
 * in a second page that runs scripts but never loads the app's own bundle:
 * it sees exactly the server-rendered HTML.
 */
export async function expectAccessible(page: Page) {
  let target = page;
  let scratch: BrowserContext | undefined;
  if (test.info().project.use.javaScriptEnabled === false) {
    scratch = await page.context().browser()!.newContext({ javaScriptEnabled: true });
    target = await scratch.newPage();
    await target.route("**/pkg/**", (route) => route.abort());
    // Exactly the HTML this page shows (a refused form included), at its
    // own address so the stylesheets load.
    const html = await page.content();
    const url = page.url();
    await target.route(url, (route) => route.fulfill({ body: html, contentType: "text/html" }));
    await target.goto(url);
  }
  const results = await new AxeBuilder({ page: target })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  await scratch?.close();
  const summary = results.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
  );
  expect(summary).toEqual([]);
}

/** Whether this test runs with JavaScript on. */
export function withJavaScript(): boolean {
  return test.info().project.use.javaScriptEnabled !== false;
}

/** Resolves once the wasm has hydrated the page (at once without JavaScript). */
export async function ready(page: Page) {
  if (withJavaScript()) await hydrated(page);
}

/**
 * Does what a visitor's first keypress does (the app starts then), and
 * resolves once the wasm has hydrated the page.
 */
export async function hydrated(page: Page) {
  await page.waitForLoadState("domcontentloaded");
  // A key pressed before the page's script listened starts nothing: press
  // again until the app is live.
  await expect(async () => {
    await page.keyboard.press("Shift");
    await expect(page.locator("[data-hydrated=true]")).toHaveCount(1, { timeout: 2_000 });
  }).toPass();
}
