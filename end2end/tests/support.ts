import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";
import * as OTPAuth from "otpauth";
import { expect, type Page } from "@playwright/test";
import { ready } from "./fixtures";

// The same settings playwright.config.ts gives the server under test.
const port = Number(process.env.PRIMARYPOINT_PORT ?? 3900);
const dataDir = process.env.DATA_DIR ?? `/tmp/primarypoint-e2e-${port}`;
const bin = process.env.PRIMARYPOINT_BIN ?? `${process.env.HOME}/.cache/primarypoint/target/release/primarypoint`;

export const PASSWORD = "correct horse battery staple";

/** A suffix no other test run uses, for names and email addresses. */
export function unique(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Runs the server's own command line against the test server's data. */
function cli(args: string[], env: Record<string, string> = {}): string {
  return execFileSync(bin, args, {
    env: { ...process.env, DATA_DIR: dataDir, RUST_LOG: "warn", ...env },
    encoding: "utf8",
  }).trim();
}

/**
 * A customer organisation subscribed to `services` (slugs), made by the
 * operator command; returns its code.
 */
export function createOrganisation(name: string, services: string[] = []): string {
  return cli([
    "organisation", "create",
    "--name", name,
    "--address-line1", "1 High Street",
    "--town", "Exampletown",
    "--postcode", "ex1 1aa",
    "--telephone", "01632 960 111",
    "--email", "reception@riverside.example",
    "--contact-name", "Pat Manager",
    "--contact-role", "Practice manager",
    "--contact-email", "pat@riverside.example",
    ...services.flatMap((slug) => ["--service", slug]),
  ]);
}

/** An administrator account, made by the operator command. */
export function createAdmin(email: string, name: string) {
  cli(["admin", "create", "--email", email, "--name", name], { ADMIN_PASSWORD: PASSWORD });
}

/**
 * The newest message to `to` whose subject contains `subject`, from the
 * server's mail outbox (waits for the background worker to write it).
 */
export async function latestMail(to: string, subject: string): Promise<ParsedMail> {
  const outbox = join(dataDir, "outbox");
  for (let attempt = 0; attempt < 50; attempt++) {
    const files = readdirSync(outbox, { withFileTypes: true })
      .filter((f) => f.isFile() && f.name.endsWith(".eml"))
      .map((f) => join(outbox, f.name))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    for (const file of files) {
      const mail = await simpleParser(readFileSync(file));
      const recipients = [mail.to].flat().flatMap((a) => a?.value ?? []).map((a) => a.address);
      if (recipients.includes(to) && (mail.subject ?? "").includes(subject)) return mail;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no mail to ${to} about "${subject}" in ${outbox}`);
}

/** The first link in `mail` to `path` on the site, as a path with its query. */
export function linkIn(mail: ParsedMail, path: string): string {
  const match = (mail.text ?? "").match(new RegExp(`https?://\\S+${path}\\?token=[0-9a-f]+`));
  expect(match, `a ${path} link in the mail`).not.toBeNull();
  const url = new URL(match![0]);
  return `${url.pathname}${url.search}`;
}

/** The current code of an authenticator app holding `secret` (base32). */
export function totp(secret: string): string {
  return new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  }).generate();
}

/** Waits until the authenticator shows a code it has not shown before. */
export async function nextTotpWindow() {
  const intoWindow = (Date.now() / 1000) % 30;
  await new Promise((resolve) => setTimeout(resolve, (30 - intoWindow + 1) * 1000));
}

// Journeys several specs share. Each works with JavaScript on and off.

export async function register(page: Page, code: string, name: string, email: string) {
  await page.goto("/register");
  await ready(page);
  // Typed the forgiving way: lower case, spaces for dashes.
  await page.getByLabel("Authorisation code").fill(code.toLowerCase().replaceAll("-", " "));
  await page.getByLabel("Full name").fill(name);
  await page.getByLabel("Work email address").fill(email);
  await page.getByLabel("Create a password").fill(PASSWORD);
  await page.getByLabel(/I have read the privacy statement/).check();
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
}

export async function confirmEmail(page: Page, email: string) {
  const mail = await latestMail(email, "Confirm your email address");
  expect(mail.text).not.toContain(PASSWORD);
  await page.goto(linkIn(mail, "/verify-email"));
  await ready(page);
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page).toHaveURL(/\/login\?verified=1$/);
}

export async function signIn(page: Page, email: string, password: string) {
  await ready(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * A new administrator, signed in with a freshly enrolled authenticator;
 * returns the authenticator's secret.
 */
export async function signedInAdmin(page: Page): Promise<string> {
  const email = `admin.${unique()}@csu.example`;
  createAdmin(email, "Alex Admin");
  await page.goto("/login");
  await ready(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account\/two-factor$/);
  const secret = (await page.locator("code.pp-secret").textContent())!.trim();
  await ready(page);
  await page.getByLabel("6-digit code").fill(totp(secret));
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByRole("heading", { name: "Your authenticator app is set up" })).toBeVisible();
  await expect(page.locator(".pp-recovery-codes li")).toHaveCount(10);
  // The recovery codes are shown once: a refresh finds them gone.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Your authenticator app is set up" })).toBeVisible();
  await expect(page.locator(".pp-recovery-codes li")).toHaveCount(0);
  return secret;
}

/**
 * A member of a new organisation subscribed to `services`, registered,
 * confirmed and signed in; returns their email address.
 */
export async function signedInMember(page: Page, services: string[]): Promise<string> {
  const email = `member.${unique()}@riverside.example`;
  const code = createOrganisation(`Riverside Surgery ${unique()}`, services);
  await register(page, code, "Sam Member", email);
  await confirmEmail(page, email);
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/portal$/);
  return email;
}
