import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, expect, expectAccessible, ready } from "./fixtures";
import { signedInAdmin, signedInMember, unique } from "./support";
import type { Page } from "@playwright/test";
import JSZip from "jszip";

/** A one-page PDF showing `text` (ASCII, no parentheses), with a correct cross-reference table. */
function pdf(text: string): Buffer {
  const content = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

/** A Word document with one paragraph of `text`. */
async function docx(text: string): Promise<Buffer> {
  const zip = new JSZip();
  zip.file(
    "[Content_Types].xml",
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
      "</Types>",
  );
  zip.file(
    "_rels/.rels",
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
      "</Relationships>",
  );
  zip.file(
    "word/document.xml",
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
      `<w:body><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:body></w:document>`,
  );
  return zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
}

// Runs with JavaScript on and off: the same journey either way.

async function signOut(page: Page) {
  await ready(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/$|\/login/);
}

test("an administrator publishes a resource with a Word document and a PDF; a subscribed member finds it by a word in the file, reads, saves and downloads it; another organisation never sees it", async ({ page }) => {
  // Two uploads, two accounts and a wait for the text to be read.
  test.slow();
  // A word that occurs in this resource only, whatever else the run added.
  const word = `zq${unique()}`;
  const title = `Hand hygiene policy ${unique()}`;

  await signedInAdmin(page);
  await page.goto("/admin/library/new");
  await ready(page);
  await page.getByLabel("Title", { exact: true }).fill(title);
  await page.getByLabel("Summary").fill("When and how to clean hands.");
  await page.getByLabel("Kind").selectOption("policy");
  await page.getByLabel("Body (optional)").fill(`Use alcohol rub (${word}) between patients.`);
  // No service chosen: refused on its field, nothing typed lost.
  await page.getByRole("button", { name: "Save as draft" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByLabel("Title", { exact: true })).toHaveValue(title);
  await page.getByLabel("Service", { exact: true }).selectOption({ label: "Clinical governance and CQC readiness" });
  await page.getByRole("button", { name: "Save as draft" }).click();
  await expect(page).toHaveURL(/\/admin\/library\/\d+$/);
  await expect(page.getByTestId("resource-status")).toHaveText("Draft");
  await expectAccessible(page);
  const adminPage = new URL(page.url()).pathname;
  const id = adminPage.split("/").pop()!;

  // A Word document first; then a PDF, whose words are nowhere else, as
  // the latest version: found only once its text is read.
  const docBytes = await docx(`Hand rub technique zd${unique()}`);
  const docFile = join(tmpdir(), `hand-hygiene-${unique()}.docx`);
  writeFileSync(docFile, docBytes);
  await ready(page);
  await page.getByLabel("Upload a file").setInputFiles(docFile);
  await page.getByRole("button", { name: "Upload file" }).click();
  await expect(page.getByText(/^Version 1: hand-hygiene-.*\.docx — /)).toBeVisible();
  const fileWord = `zf${unique()}`;
  const bytes = pdf(`Alcohol rub audit ${fileWord}`);
  const file = join(tmpdir(), `hand-hygiene-${unique()}.pdf`);
  writeFileSync(file, bytes);
  await ready(page);
  await page.getByLabel("Upload a file").setInputFiles(file);
  await page.getByRole("button", { name: "Upload file" }).click();
  await expect(page.getByText(/^Version 2: hand-hygiene-.*\.pdf — /)).toBeVisible();
  await expect(page.getByText(/^Version 1: hand-hygiene-.*\.docx — /)).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`${adminPage}$`));
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
  await page.getByRole("button", { name: new RegExp(`^Save\\s*: ${title}$`) }).click();
  await expect(page.getByRole("button", { name: new RegExp(`^Remove from saved\\s*: ${title}$`) })).toBeVisible();
  await page.getByRole("link", { name: title }).click();
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await expect(page.getByText(`Use alcohol rub (${word}) between patients.`)).toBeVisible();
  await expectAccessible(page);
  // The file downloads as it was uploaded.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("download").click(),
  ]);
  expect(readFileSync(await download.path())).toEqual(bytes);
  // The earlier Word version stays downloadable, byte for byte.
  await page.getByText("Earlier versions").click();
  const [earlier] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: /^Version 1: hand-hygiene-.*\.docx$/ }).click(),
  ]);
  expect(readFileSync(await earlier.path())).toEqual(docBytes);
  await page.goto("/portal/saved");
  await expect(page.getByRole("link", { name: title })).toBeVisible();
  // A word only inside the PDF finds it, once the text has been read.
  await expect(async () => {
    await page.goto(`/portal/library?q=${fileWord}`);
    await expect(page.getByRole("link", { name: title })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await signOut(page);

  // A member of an organisation that does not subscribe finds nothing.
  await signedInMember(page, ["it-and-digital"]);
  for (const q of [word, fileWord]) {
    await page.goto(`/portal/library?q=${q}`);
    await expect(page.getByTestId("no-results")).toBeVisible();
  }
  await page.goto("/portal/library");
  await expect(page.getByRole("link", { name: title })).toHaveCount(0);
  for (const address of [`/portal/library/${id}`, `/portal/library/${id}/download`]) {
    const response = await page.goto(address);
    expect(response?.status()).toBe(404);
  }
  await expect(page.getByText(word)).toHaveCount(0);
});
