import { readFileSync } from "node:fs";
import { test, expect, expectAccessible, ready, withJavaScript } from "./fixtures";
import {
  confirmEmail, createOrganisation, latestMail, nextTotpWindow, register, signedInAdmin, totp, unique,
} from "./support";

test("an administrator adds an organisation, sees its code once, replaces it and suspends it", async ({ page }) => {
  await signedInAdmin(page);
  const name = `Riverside Surgery ${unique()}`;

  await page.goto("/admin/organisations/new");
  await ready(page);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Address line 1").fill("1 High Street");
  await page.getByLabel("Town or city").fill("Exampletown");
  await page.getByLabel("Postcode").fill("not a postcode");
  await page.getByLabel("Telephone", { exact: true }).fill("01632 960 111");
  await page.getByLabel("Email address", { exact: true }).fill("reception@riverside.example");
  await page.getByLabel("Contact's full name", { exact: true }).fill("Pat Manager");
  await page.getByLabel("Contact's role", { exact: true }).fill("Practice manager");
  await page.getByLabel("Contact's email address", { exact: true }).fill("pat@riverside.example");
  await page.getByRole("button", { name: "Add organisation" }).click();

  // The problem is on its field and nothing typed is lost.
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(name);
  await expectAccessible(page);
  await page.getByLabel("Postcode").fill("ex1 1aa");
  await page.getByRole("button", { name: "Add organisation" }).click();

  // Post/redirect/get: the organisation's own page, with its code shown once.
  await expect(page).toHaveURL(/\/admin\/organisations\/\d+$/);
  await expect(page.getByRole("heading", { name })).toBeVisible();
  const code = (await page.getByTestId("authorisation-code").textContent())!.trim();
  expect(code).toMatch(/^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$/);
  if (withJavaScript()) {
    await ready(page);
    await expect(page.getByRole("button", { name: "Copy the code" })).toBeVisible();
  }
  await expectAccessible(page);

  // A refresh neither shows the code again nor adds a second organisation.
  await page.reload();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await expect(page.getByText("EX1 1AA")).toBeVisible();
  await expect(page.getByText(code)).toHaveCount(0);
  await expectAccessible(page);

  await page.getByLabel("Most registrations (optional)").fill("25");
  await page.getByRole("button", { name: "Save the code's limits" }).click();
  await expect(page.getByText("The code's limits have been saved.")).toBeVisible();
  await expect(page.getByText(/Used 0 times of 25/)).toBeVisible();

  await page.getByRole("button", { name: "Replace the code" }).click();
  const fresh = (await page.getByTestId("authorisation-code").textContent())!.trim();
  expect(fresh).not.toEqual(code);
  await page.reload();
  await expect(page.getByText(fresh)).toHaveCount(0);
  await expect(page.getByTestId("authorisation-code")).toHaveCount(0);

  await page.getByLabel("New status").selectOption("suspended");
  await page.getByLabel("Reason for the change").fill("Contract paused while it is renewed");
  await page.getByRole("button", { name: "Change status" }).click();
  await expect(page.getByText("The status has been changed.")).toBeVisible();
  await expect(page.getByRole("cell", { name: "Contract paused while it is renewed" })).toBeVisible();

  await page.goto(`/admin/organisations?q=${encodeURIComponent(name)}&status=suspended`);
  await expect(page.getByRole("link", { name })).toBeVisible();
  // Only one organisation of that name: nothing was added twice.
  await expect(page.getByRole("link", { name })).toHaveCount(1);
});

test("an administrator adds a service, its public page goes live, and a change moves it", async ({ page }) => {
  await signedInAdmin(page);
  const slug = `estates-${unique().toLowerCase()}`;
  const name = `Estates & "facilities" </title> ${unique()}`;

  await page.goto("/admin/services/new");
  await ready(page);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Address").fill("Not An Address");
  await page.getByLabel("Summary").fill("Keeping surgeries safe, warm and compliant.");
  await page.getByLabel("Public description").fill("## What we do\n\nLeases, maintenance and fire risk.");
  await page.getByLabel("In the member portal (optional)").fill("Fire risk templates\nLease checklists");
  await page.getByRole("button", { name: "Add the service" }).click();
  // The bad address is shown on its field; nothing typed is lost.
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(name);
  await expectAccessible(page);
  await page.getByLabel("Address").fill(slug);
  await page.getByRole("button", { name: "Add the service" }).click();
  await expect(page).toHaveURL(/\/admin\/services\/\d+\?saved=added$/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page).toHaveTitle(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  await expectAccessible(page);

  // Public at once, markup in its name shown as text.
  await page.goto(`/services/${slug}`);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByText("Leases, maintenance and fire risk.")).toBeVisible();
  await expect(page.getByText("Lease checklists")).toBeVisible();

  // A new address moves the page.
  await page.goto("/admin/services");
  await page.getByRole("link", { name }).click();
  await ready(page);
  await page.getByLabel("Address").fill(`${slug}-and-facilities`);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page).toHaveURL(/\?saved=changed$/);
  expect((await page.goto(`/services/${slug}`))?.status()).toBe(404);
  await page.goto(`/services/${slug}-and-facilities`);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
});

test("an administrator reads the dashboard and the audit trail, and downloads it as CSV", async ({ page }) => {
  await signedInAdmin(page);
  await page.goto("/admin");
  await ready(page);
  await expect(page.getByTestId("dashboard")).toBeVisible();
  await expect(page.getByRole("img", { name: /^Sign-ins per day/ })).toBeVisible();
  await expectAccessible(page);

  await page.getByRole("link", { name: "Audit trail" }).click();
  await expect(page.getByRole("heading", { name: "Audit trail" })).toBeVisible();
  await ready(page);
  await page.getByLabel("Action", { exact: true }).selectOption("account.signed_in");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=account\.signed_in/);
  await expect(page.getByRole("cell", { name: "Signed in", exact: true }).first()).toBeVisible();
  await expectAccessible(page);

  // The download holds the same filter, and nothing else.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export").click()]);
  const lines = readFileSync(await download.path(), "utf8").trim().split("\n");
  expect(lines[0]).toMatch(/^id,seq,time_utc,actor,/);
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines.slice(1)) {
    expect(line).toContain(",account.signed_in,");
  }

  await page.getByRole("link", { name: "Check the trail has not been altered" }).click();
  await expect(page.getByTestId("chain-intact")).toBeVisible();
  await expectAccessible(page);
});

test("an administrator finds a member, suspends and reinstates them, and promotes them with a code from their app", async ({ page }) => {
  // It waits up to 30 seconds for the authenticator's next code.
  test.slow();
  const email = `member.${unique()}@riverside.example`;
  const code = createOrganisation(`Riverside Surgery ${unique()}`);
  await register(page, code, "Sam Member", email);
  await confirmEmail(page, email);
  const secret = await signedInAdmin(page);

  await page.goto("/admin/members");
  await ready(page);
  await page.getByLabel("Name or email address").fill(email);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("table")).toContainText("1 person");
  await page.getByRole("link", { name: "Sam Member" }).click();
  await expect(page.getByRole("heading", { name: "Sam Member", level: 1 })).toBeVisible();
  await expect(page.getByTestId("member-status")).toHaveText("Active");
  await expectAccessible(page);

  // Suspending needs a reason; the problem is on its field.
  await ready(page);
  await page.getByRole("button", { name: "Suspend the account" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter why the account is suspended");
  await page.getByLabel("Why").fill("Left the practice");
  await page.getByRole("button", { name: "Suspend the account" }).click();
  await expect(page.getByTestId("member-status")).toHaveText("Suspended");
  await expect(page.getByText("Left the practice")).toBeVisible();
  await page.getByRole("button", { name: "Reinstate the account" }).click();
  await expect(page.getByTestId("member-status")).toHaveText("Active");

  // Making an administrator needs the acting administrator's code.
  await page.getByLabel("Role", { exact: true }).selectOption("admin");
  await page.getByRole("button", { name: "Change the role" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter the 6-digit code from your authenticator app");
  await expect(page.getByLabel("Role", { exact: true })).toHaveValue("admin");
  // The code used to enrol cannot be used again: wait for the next one.
  await nextTotpWindow();
  await page.getByLabel("Your authenticator code").fill(totp(secret));
  await page.getByRole("button", { name: "Change the role" }).click();
  await expect(page.getByText("The role was changed")).toBeVisible();
  await expect(page.locator(".nhsuk-summary-list")).toContainText("Administrator");
  const told = await latestMail(email, "administrator");
  expect(told.text).toContain("authenticator app");
});
