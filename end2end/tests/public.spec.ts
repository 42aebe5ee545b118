import { test, expect, expectAccessible } from "./fixtures";

const pages: Array<[path: string, heading: string, title: string]> = [
  ["/", "Support services for GP practices and primary care networks", "PrimaryPoint"],
  ["/services", "Services", "Services – PrimaryPoint"],
  ["/services/medicines-management", "Medicines management", "Medicines management – PrimaryPoint"],
  ["/page/about", "About us", "About us – PrimaryPoint"],
  ["/page/privacy-policy", "Privacy statement", "Privacy statement – PrimaryPoint"],
  ["/page/cookies", "Cookies", "Cookies – PrimaryPoint"],
  ["/page/accessibility", "Accessibility statement", "Accessibility statement – PrimaryPoint"],
  ["/contact", "Contact us", "Contact us – PrimaryPoint"],
];

for (const [path, heading, title] of pages) {
  test(`${path} has one heading, a title, landmarks and no accessibility faults`, async ({ page, foreign, consoleErrors }) => {
    const response = await page.goto(path);
    expect(response?.status()).toBe(200);
    await expect(page).toHaveTitle(title);
    await expect(page.getByRole("heading", { level: 1 })).toHaveCount(1);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    // Headings never skip a level on the way down (an h3 straight after
    // the h1, say), so their outline reads as the page does.
    const levels = await page
      .locator("h1, h2, h3, h4, h5, h6")
      .evaluateAll((headings) => headings.map((h) => Number(h.tagName.slice(1))));
    levels.reduce((previous, level) => {
      expect(level, `${path}: an h${level} after an h${previous}`).toBeLessThanOrEqual(previous + 1);
      return level;
    }, 0);
    await expect(page.getByRole("banner")).toBeVisible();
    await expect(page.getByRole("main")).toBeVisible();
    await expect(page.getByRole("contentinfo")).toBeVisible();
    await expect(page.getByRole("banner").getByRole("link", { name: "Help and contact" })).toHaveAttribute("href", "/contact");
    await expect(page.locator('meta[name="description"]')).toHaveAttribute("content", /\w{3,}/);
    await expect(page.locator('link[rel="canonical"]')).toHaveAttribute("href", new RegExp(`${path.replace(/\//g, "\\/")}$`));
    await expectAccessible(page);
  });
}

test("the privacy statement makes every promise", async ({ page, foreign, consoleErrors }) => {
  await page.goto("/page/privacy-policy");
  const main = page.getByRole("main");
  for (const promise of [
    /commercial information only/, // P1
    /one authorisation code/, // P2
    /Argon2id/, // P3
    /Only our administrators can read these messages/, // P4
    /we record what happens/, // P5
    /download it/, // P6
    /load nothing from any other website/, // P7
    /strictly necessary/, // P8
    /deleted after 7 days/, // P9
    /Do Not Track or Global Privacy Control/, // P10
    /Backups of the service are encrypted/, // P11
    /We will never ask you for your password/, // P12
    /Information Commissioner's Office/,
    /Example Commissioning Support Unit/, // the configured data controller
  ]) {
    await expect(main).toContainText(promise);
  }
});

test("the cookies page lists each cookie with its purpose and lifetime", async ({ page, foreign, consoleErrors }) => {
  await page.goto("/page/cookies");
  const row = page.getByRole("row", { name: /__Host-pp_session/ });
  await expect(row).toContainText("Keeps you signed in");
  await expect(row).toContainText("12 hours");
});

test("a service card leads to the service's page", async ({ page, foreign, consoleErrors }) => {
  await page.goto("/services");
  await page.getByRole("link", { name: "HR and workforce" }).click();
  await expect(page).toHaveURL(/\/services\/hr-and-workforce$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("HR and workforce");
  await expect(page.getByRole("heading", { name: "In the member portal" })).toBeVisible();
});

test("the layout fits a 320 pixel wide screen", async ({ page, foreign, consoleErrors }, info) => {
  test.skip(info.project.name === "no-javascript", "measuring the page needs a script");
  await page.setViewportSize({ width: 320, height: 640 });
  for (const path of ["/", "/services", "/contact", "/page/privacy-policy"]) {
    await page.goto(path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
  }
});

test("robots.txt points at the sitemap; the portal is kept from crawlers by signing in", async ({ request, baseURL }) => {
  const robots = await (await request.get("/robots.txt")).text();
  expect(robots).toContain("Disallow: /api/");
  expect(robots).toContain(`Sitemap: ${baseURL}/sitemap.xml`);
  // Not listed, so as not to advertise them: a crawler is sent to sign in.
  for (const path of ["/portal", "/portal/library", "/admin"]) {
    expect(robots).not.toContain(`Disallow: ${path}`);
    const response = await request.get(path, { maxRedirects: 0 });
    expect(response.status(), path).toBe(303);
    expect(response.headers()["location"], path).toBe(`/login?next=${encodeURIComponent(path)}`);
  }
  const sitemap = await (await request.get("/sitemap.xml")).text();
  expect(sitemap).toContain(`<loc>${baseURL}/services/it-and-digital</loc>`);
  expect(sitemap).toContain(`<loc>${baseURL}/page/privacy-policy</loc>`);
});

test("the public site sets no cookies at all", async ({ page, context, foreign, consoleErrors }) => {
  for (const [path] of pages) {
    await page.goto(path);
  }
  await page.goto("/contact");
  await page.getByLabel("Full name").fill("Jo Bloggs");
  await page.getByLabel("Organisation").fill("Riverside Surgery");
  await page.getByLabel("Email address").fill("jo.bloggs@nhs.net");
  await page.getByLabel("Your message").fill("Do you set cookies?");
  await page.getByRole("button", { name: "Send message" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Message sent");
  expect(await context.cookies()).toEqual([]);
});
