import { test, expect, expectAccessible, ready } from "./fixtures";
import { latestMail, signedInAdmin, signedInMember, unique } from "./support";
import type { Page } from "@playwright/test";

// Runs with JavaScript on and off: the same journey either way.

async function signOut(page: Page) {
  await ready(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/$|\/login/);
}

test("a member writes to the team; an administrator replies and closes it; the member reads the reply in the portal and by email", async ({ page }) => {
  const subject = `Fridge temperatures & "logs" ${unique()}`;
  const member = await signedInMember(page, ["medicines-management"]);

  await page.goto("/portal/messages");
  await page.getByRole("button", { name: "Write to the team" }).click();
  await expect(page).toHaveURL(/\/portal\/messages\/new$/);
  await ready(page);
  await page.getByLabel("Your message").fill("Our fridge read 9°C this morning. What should we do?");
  await page.getByRole("button", { name: "Send message" }).click();
  // No subject: refused on its field, the message kept.
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByLabel("Your message")).toHaveValue("Our fridge read 9°C this morning. What should we do?");
  await expectAccessible(page);
  await page.getByLabel("Subject").fill(subject);
  await page.getByRole("button", { name: "Send message" }).click();
  await expect(page).toHaveURL(/\/portal\/messages\/\d+\?sent=1$/);
  await expect(page.getByRole("heading", { level: 1, name: subject })).toBeVisible();
  await expect(page.getByText("Open", { exact: true })).toBeVisible();
  const id = new URL(page.url()).pathname.split("/").pop()!;
  await expectAccessible(page);
  await signOut(page);

  // An administrator finds it among the new messages, replies and closes it.
  await signedInAdmin(page);
  await page.goto("/admin/messages?state=new");
  await page.getByRole("link", { name: subject }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/messages/${id}$`));
  await expect(page.getByText("Our fridge read 9°C this morning.")).toBeVisible();
  await expectAccessible(page);
  await ready(page);
  await page.getByLabel("Note for administrators").fill("Checked the cold chain guidance.");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page).toHaveURL(/\?done=noted$/);
  await ready(page);
  await page.getByLabel("Your reply").fill("Move the vaccines to the spare fridge and call us.");
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(page).toHaveURL(/\?done=replied$/);
  await ready(page);
  await page.getByRole("button", { name: "Close", exact: true }).click();
  await expect(page).toHaveURL(/\?done=closed$/);
  await expect(page.getByTestId("message-state")).toHaveText("Closed");
  await signOut(page);

  // The reply arrives by email, pointing back to the portal.
  const mail = await latestMail(member, subject);
  expect(mail.text).toContain("Move the vaccines to the spare fridge and call us.");
  expect(mail.text).toContain(`/portal/messages/${id}`);
  expect(mail.text).not.toContain("cold chain guidance");
});

test("a member's message is unreadable to anyone else in the portal", async ({ page }) => {
  const subject = `Private question ${unique()}`;
  await signedInMember(page, ["medicines-management"]);
  await page.goto("/portal/messages/new");
  await ready(page);
  await page.getByLabel("Subject").fill(subject);
  await page.getByLabel("Your message").fill("Only the team should read this.");
  await page.getByRole("button", { name: "Send message" }).click();
  await expect(page).toHaveURL(/\/portal\/messages\/\d+\?sent=1$/);
  const address = new URL(page.url()).pathname;
  await signOut(page);

  await signedInMember(page, ["medicines-management"]);
  const response = await page.goto(address);
  expect(response?.status()).toBe(404);
  await expect(page.getByText("Only the team should read this.")).toHaveCount(0);
  await page.goto("/portal/messages");
  await expect(page.getByTestId("no-messages")).toBeVisible();
});
