import { test, expect, expectAccessible, ready, withJavaScript } from "./fixtures";
import {
  PASSWORD, confirmEmail, createAdmin, createOrganisation, latestMail, linkIn, nextTotpWindow,
  register, signIn, totp, unique,
} from "./support";

// Every flow here runs twice: with JavaScript (server functions) and
// without (plain form posts), and must end in the same place.

test("a member registers with a code, confirms the email, signs in and out", async ({ page }) => {
  const id = unique();
  const code = createOrganisation(`Riverside Surgery ${id}`);
  const email = `robin.${id}@riverside.example`;

  await register(page, code, "Robin Reception", email);
  await expectAccessible(page);
  await confirmEmail(page, email);
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByRole("heading", { name: "Welcome, Robin Reception" })).toBeVisible();
  await expect(page.getByText(`Riverside Surgery ${id}`)).toBeVisible();
  await expectAccessible(page);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login\?signed-out=1$/);
  await page.goto("/portal");
  await expect(page).toHaveURL(/\/login\?next=%2Fportal$/);
});

test("a wrong code gets one plain message and what was typed is kept", async ({ page }) => {
  await page.goto("/register");
  await ready(page);
  await page.getByLabel("Authorisation code").fill("AAAA-BBBB-CCCC-DDDD");
  await page.getByLabel("Full name").fill("Kim Nurse");
  await page.getByLabel("Work email address").fill("kim@riverside.example");
  await page.getByLabel("Create a password").fill(PASSWORD);
  await page.getByLabel(/I have read the privacy statement/).check();
  await page.getByRole("button", { name: "Register" }).click();
  const summary = page.getByRole("alert");
  await expect(summary).toContainText("That code isn't valid. Check it with your practice manager.");
  await expect(page.getByLabel("Full name")).toHaveValue("Kim Nurse");
  if (!withJavaScript()) {
    // The server never writes a password back into a page (P12).
    await expect(page.getByLabel("Create a password")).toHaveValue("");
  }
  await expectAccessible(page);
});

test("a forgotten password is reset from the emailed link", async ({ page }) => {
  const id = unique();
  const code = createOrganisation(`Hillside Practice ${id}`);
  const email = `kim.${id}@hillside.example`;
  await register(page, code, "Kim Nurse", email);
  await confirmEmail(page, email);

  await page.getByRole("link", { name: "Forgotten your password?" }).click();
  // The sign-in page has an "Email address" field too: wait for the new page.
  await expect(page.getByRole("heading", { level: 1, name: "Reset your password" })).toBeVisible();
  await ready(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();

  const mail = await latestMail(email, "Reset your");
  await page.goto(linkIn(mail, "/reset-password"));
  await ready(page);
  const fresh = "violet umbrella quietly sings";
  await page.getByLabel("New password").fill(fresh);
  await page.getByRole("button", { name: "Save the new password" }).click();
  await expect(page).toHaveURL(/\/login\?reset=1$/);
  await signIn(page, email, PASSWORD);
  await expect(page.getByRole("alert")).toContainText("The email address or password is not right.");
  await signIn(page, email, fresh);
  await expect(page).toHaveURL(/\/portal$/);
});

test("an administrator enrols an authenticator app and signs in with it", async ({ page }) => {
  test.setTimeout(120_000);
  const id = unique();
  const email = `alex.${id}@csu.example`;
  createAdmin(email, "Alex Admin");

  await page.goto("/login");
  await signIn(page, email, PASSWORD);
  // An administrator must enrol before anything else.
  await expect(page).toHaveURL(/\/account\/two-factor$/);
  await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  await expectAccessible(page);
  const secret = (await page.locator("code.pp-secret").textContent())!.trim();
  await ready(page);
  await page.getByLabel("6-digit code").fill(totp(secret));
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByRole("heading", { name: "Your authenticator app is set up" })).toBeVisible();
  await expect(page.locator(".pp-recovery-codes li")).toHaveCount(10);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/signed-out=1$/);
  await page.goto("/login");
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  // The code used to enrol cannot be used again: wait for the next one.
  await nextTotpWindow();
  await ready(page);
  await page.getByLabel("Security code").fill(totp(secret));
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/portal$/);
  await expect(page.getByRole("heading", { name: "Welcome, Alex Admin" })).toBeVisible();
});

test("a member is refused the administrators' pages", async ({ page }) => {
  const id = unique();
  const code = createOrganisation(`Brookside PCN ${id}`);
  const email = `jo.${id}@brookside.example`;
  await register(page, code, "Jo Pharmacist", email);
  await confirmEmail(page, email);
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/portal$/);
  const response = await page.goto("/admin");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You cannot see this page" })).toBeVisible();
});
