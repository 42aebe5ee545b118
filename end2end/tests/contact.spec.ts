import { test, expect, expectAccessible } from "./fixtures";
import type { Page } from "@playwright/test";

async function fill(page: Page, values: { name: string; organisation: string; email: string; telephone?: string; message: string }) {
  await page.getByLabel("Full name").fill(values.name);
  await page.getByLabel("Organisation").fill(values.organisation);
  await page.getByLabel("Email address").fill(values.email);
  await page.getByLabel("Telephone number (optional)").fill(values.telephone ?? "");
  await page.getByLabel("Your message").fill(values.message);
}

const valid = {
  name: "Jo Bloggs",
  organisation: "Riverside Surgery",
  email: "jo.bloggs@nhs.net",
  telephone: "01632 960 001",
  message: "Please tell us about information governance support.",
};

test("a valid enquiry is sent and confirmed", async ({ page, foreign, consoleErrors }) => {
  await page.goto("/contact");
  await fill(page, valid);
  await page.getByRole("button", { name: "Send message" }).click();
  await expect(page).toHaveURL(/\/contact\/thanks$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Message sent");
  await expectAccessible(page);
});

test("an invalid enquiry shows each problem on its field and keeps what was typed", async ({ page, foreign, consoleErrors }) => {
  await page.goto("/contact");
  await fill(page, { ...valid, name: "", email: "not-an-email", telephone: "call me" });
  await page.getByRole("button", { name: "Send message" }).click();

  const summary = page.getByRole("alert");
  await expect(summary).toContainText("There is a problem");
  await expect(summary.getByRole("link", { name: "Enter your full name" })).toHaveAttribute("href", "#name");
  await expect(summary.getByRole("link", { name: /correct format/ })).toHaveAttribute("href", "#email");
  await expect(summary.getByRole("link", { name: /telephone number/ })).toHaveAttribute("href", "#telephone");
  await expect(page.locator("#email-error")).toContainText("Enter an email address in the correct format");
  await expect(page.getByLabel("Email address")).toHaveAttribute("aria-describedby", /email-error/);

  // Nothing typed is lost.
  await expect(page.getByLabel("Organisation")).toHaveValue(valid.organisation);
  await expect(page.getByLabel("Email address")).toHaveValue("not-an-email");
  await expect(page.getByLabel("Your message")).toHaveValue(valid.message);
  await expectAccessible(page);

  // Fixing the problems sends it.
  await page.getByLabel("Full name").fill(valid.name);
  await page.getByLabel("Email address").fill(valid.email);
  await page.getByLabel("Telephone number (optional)").fill("");
  await page.getByRole("button", { name: "Send message" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Message sent");
});

test("rapid repeated enquiries from one client are throttled with a clear message", async ({ page, foreign, consoleErrors }) => {
  for (let n = 1; n <= 5; n++) {
    await page.goto("/contact");
    await fill(page, { ...valid, message: `Enquiry number ${n}` });
    await page.getByRole("button", { name: "Send message" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Message sent");
  }
  await page.goto("/contact");
  await fill(page, { ...valid, message: "One too many" });
  await page.getByRole("button", { name: "Send message" }).click();
  await expect(page.getByRole("alert")).toContainText(/Too many attempts\. Wait \d+ (seconds?|minutes?), then try again\./);
  await expect(page.getByLabel("Your message")).toHaveValue("One too many");
});
