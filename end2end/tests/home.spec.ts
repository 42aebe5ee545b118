import { test, expect, expectAccessible, hydrated } from "./fixtures";

test("the home page is rendered on the server with its heading", async ({ page, foreign, consoleErrors }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page).toHaveTitle("PrimaryPoint");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(
    "Support services for GP practices and primary care networks",
  );
  await expect(page.getByRole("link", { name: "Medicines management" })).toBeVisible();
  await expectAccessible(page);
});

test("the service finder filters as you type once hydrated", async ({ page, foreign, consoleErrors }, info) => {
  test.skip(info.project.name === "no-javascript", "filtering as you type needs the wasm");
  await page.goto("/");
  await hydrated(page);
  const cards = page.locator(".nhsuk-card-group__item");
  // The seven seeded services, and any an administrator's test has added.
  await expect(cards.filter({ hasText: "IT and digital" })).toHaveCount(1);
  expect(await cards.count()).toBeGreaterThanOrEqual(7);
  await page.getByLabel("Find a service").fill("cyber");
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText("IT and digital");
  await expect(page.getByRole("status")).toHaveText("1 service");
  expect(new URL(page.url()).pathname).toBe("/");
});

test("a page fetches no script or wasm until the visitor does something", async ({ page, foreign, consoleErrors }, info) => {
  test.skip(info.project.name === "no-javascript", "this is about when the wasm loads");
  const app: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith("/pkg/") && /\.(js|wasm)$/.test(path)) app.push(path);
  });
  await page.goto("/services", { waitUntil: "networkidle" });
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  expect(app, "fetched before anyone touched the page").toEqual([]);
  await expect(page.locator("[data-hydrated=true]")).toHaveCount(0);

  await page.mouse.move(20, 20);
  await expect(page.locator("[data-hydrated=true]")).toHaveCount(1);
  expect(app.filter((path) => path.endsWith(".wasm")).length).toBeGreaterThan(0);
  // Now live: a link is followed in the page, without loading a new one.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await page.getByRole("link", { name: "Medicines management" }).first().click();
  await expect(page).toHaveURL(/\/services\/medicines-management$/);
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
});

test("what a visitor types before the app is live is kept and filtered by", async ({ page, foreign, consoleErrors }, info) => {
  test.skip(info.project.name === "no-javascript", "this is about the app starting");
  await page.goto("/", { waitUntil: "networkidle" });
  const finder = page.getByLabel("Find a service");
  // Focusing the box starts the app; the words are in before it is live.
  await finder.fill("cyber");
  await expect(page.locator("[data-hydrated=true]")).toHaveCount(1);
  await expect(finder).toHaveValue("cyber");
  await expect(page.locator(".nhsuk-card-group__item")).toHaveCount(1);
  await expect(page.getByRole("status")).toHaveText("1 service");
});

test("without JavaScript the same finder searches on the services page", async ({ page, foreign, consoleErrors }, info) => {
  test.skip(info.project.name === "javascript", "this is the no-JavaScript path");
  await page.goto("/");
  await page.getByLabel("Find a service").fill("cyber");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/services\?q=cyber$/);
  await expect(page.getByLabel("Search services")).toHaveValue("cyber");
  const cards = page.locator(".nhsuk-card-group__item");
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText("IT and digital");
});

test("an unknown address gets a helpful 404 page", async ({ page, foreign, consoleErrors }) => {
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await expect(page.getByRole("main").getByRole("link", { name: "contact us" })).toBeVisible();
  await expectAccessible(page);
});
