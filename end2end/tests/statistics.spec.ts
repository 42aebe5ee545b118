import { test, expect, expectAccessible, ready } from "./fixtures";
import { signedInAdmin, unique } from "./support";

test("the statistics chart counts a visit made without Do Not Track and not one made with it", async ({ page, browser, baseURL }) => {
  // Each visit comes from a site of its own, so the figures show which
  // visits were counted whatever else this run visits.
  const id = unique();
  const counted = `counted-${id}.example`;
  const declined = `declined-${id}.example`;

  const plain = await browser.newContext({ baseURL });
  const visit = await plain.newPage();
  const visited = await visit.goto("/", { referer: `https://${counted}/search?q=primary+care` });
  expect(visited?.status()).toBe(200);
  // No cookie before sign-in (P8).
  expect(await plain.cookies()).toEqual([]);
  await plain.close();

  const doNotTrack = await browser.newContext({ baseURL, extraHTTPHeaders: { DNT: "1" } });
  const declinedVisit = await doNotTrack.newPage();
  expect((await declinedVisit.goto("/", { referer: `https://${declined}/` }))?.status()).toBe(200);
  await doNotTrack.close();

  await signedInAdmin(page);
  await page.goto("/admin");
  await ready(page);
  await page.getByRole("link", { name: "Statistics: page views" }).click();
  await expect(page.getByRole("heading", { name: "Statistics", level: 1 })).toBeVisible();
  await expect(page.getByRole("img", { name: /^Page views per day/ })).toBeVisible();
  const sites = page.getByTestId("referrers");
  await expect(sites).toContainText(counted);
  await expect(sites).not.toContainText(declined);
  await expectAccessible(page);

  // Another period is a link away, and the figures come as CSV too.
  await page.getByRole("link", { name: "Last 90 days" }).click();
  await expect(page).toHaveURL(/\/admin\/statistics\?days=90$/);
  await expect(page.getByTestId("referrers")).toContainText(counted);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download the last 90 days as CSV" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^page-views-\d{4}-\d{2}-\d{2}\.csv$/);
});
