import { readFileSync } from "node:fs";
import { test, expect, expectAccessible, ready } from "./fixtures";
import { PASSWORD, signIn, signedInMember } from "./support";

test("a member sees everything held about them, corrects their name, downloads it and erases their account", async ({ page }) => {
  const email = await signedInMember(page, []);
  await page.goto("/portal/my-data");
  await ready(page);
  await expect(page.getByRole("heading", { name: "Your data", level: 1 })).toBeVisible();
  await expect(page.getByTestId("data-account")).toContainText(email);
  await expectAccessible(page);

  // A blank name is refused on its field; then corrected.
  await page.getByLabel("Full name").fill("");
  await page.getByRole("button", { name: "Save your name" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter your full name");
  await page.getByLabel("Full name").fill("Samantha Member");
  await page.getByRole("button", { name: "Save your name" }).click();
  await expect(page.getByText("Your name has been corrected.")).toBeVisible();
  await expect(page.getByTestId("data-account")).toContainText("Samantha Member");

  // The download holds the same, as JSON.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("download-my-data").click(),
  ]);
  const data = JSON.parse(readFileSync(await download.path(), "utf8"));
  expect(data.sections.account.rows[0].email).toBe(email);
  expect(data.sections.account.rows[0].full_name).toBe("Samantha Member");
  expect(JSON.stringify(data)).not.toContain("argon2");

  // Erasing needs the password and the box ticked.
  await ready(page);
  await page.getByRole("button", { name: "Erase my account" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter your password");
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByLabel("Yes, erase my account").check();
  await page.getByRole("button", { name: "Erase my account" }).click();
  await expect(page).toHaveURL(/\/login\?erased=1$/);
  await expect(page.getByText("Your account has been erased")).toBeVisible();

  // The account is gone: its password signs nobody in.
  await signIn(page, email, PASSWORD);
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page).not.toHaveURL(/\/portal/);
});
