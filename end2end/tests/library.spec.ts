import { test, expect, expectAccessible, ready } from "./fixtures";
import { signedInAdmin, signedInMember, unique } from "./support";
import type { Page } from "@playwright/test";

// Runs with JavaScript on and off: the same journey either way.

async function signOut(page: Page) {
  await ready(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/$|\/login/);
}

test("a subscribed member finds, reads and saves a published resource; another organisation never sees it", async ({ page }) => {
  // A word that occurs in this resource only, whatever else the run added.
  const word = `zq${unique()}`;
  const title = `Hand hygiene policy ${unique()}`;

  await signedInAdmin(page);
  await page.goto("/admin/library/new");
  await ready(page);
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Summary").fill("When and how to clean hands.");
  await page.getByLabel("Kind").selectOption("policy");
  await page.getByLabel("Body (optional)").fill(`Use alcohol rub (${word}) between patients.`);
  // No service chosen: refused on its field, nothing typed lost.
  await page.getByRole("button", { name: "Save as draft" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByLabel("Title")).toHaveValue(title);
  await page.getByLabel("Service").selectOption({ label: "Clinical governance and CQC readiness" });
  await page.getByRole("button", { name: "Save as draft" }).click();
  await expect(page).toHaveURL(/\/admin\/library\/\d+$/);
  await expect(page.getByTestId("resource-status")).toHaveText("Draft");
  await expectAccessible(page);
  const adminPage = new URL(page.url()).pathname;
  const id = adminPage.split("/").pop()!;
  await ready(page);
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByTestId("resource-status")).toHaveText("Published");
  await signOut(page);

  // A member whose organisation subscribes to the service.
  await signedInMember(page, ["clinical-governance"]);
  await ready(page);
  await page.getByLabel("Search policies, procedures and guidance").fill(word);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/portal\/library\?q=/);
  await expect(page.getByRole("link", { name: title })).toBeVisible();
  await expect(page.locator("mark", { hasText: word })).toBeVisible();
  await expectAccessible(page);
  await ready(page);
  await page.getByRole("button", { name: `Save: ${title}` }).click();
  await expect(page.getByRole("button", { name: `Remove from saved: ${title}` })).toBeVisible();
  await page.getByRole("link", { name: title }).click();
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await expect(page.getByText(`Use alcohol rub (${word}) between patients.`)).toBeVisible();
  await expectAccessible(page);
  await page.goto("/portal/saved");
  await expect(page.getByRole("link", { name: title })).toBeVisible();
  await signOut(page);

  // A member of an organisation that does not subscribe finds nothing.
  await signedInMember(page, ["it-and-digital"]);
  await page.goto(`/portal/library?q=${word}`);
  await expect(page.getByTestId("no-results")).toBeVisible();
  await page.goto("/portal/library");
  await expect(page.getByRole("link", { name: title })).toHaveCount(0);
  const response = await page.goto(`/portal/library/${id}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByText(word)).toHaveCount(0);
});
