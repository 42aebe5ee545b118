import { test, expect, expectAccessible, ready } from "./fixtures";
import { signedInAdmin, signedInMember } from "./support";

test("a member asks for their data to be corrected and an administrator extends and closes the request", async ({ page }) => {
  const email = await signedInMember(page, []);
  await page.goto("/portal/my-data#requests");
  await ready(page);
  await expect(page.getByTestId("no-requests")).toBeVisible();

  // Which right is asked about is required, on its field.
  await page.getByRole("button", { name: "Send the request" }).click();
  await expect(page.getByRole("alert")).toContainText("Choose which right you are asking about");
  await page.getByLabel("What do you want us to do?").selectOption({ label: "Rectification: correct my data" });
  await page.getByLabel("Tell us about your request").fill("My job title is recorded wrongly.");
  await page.getByRole("button", { name: "Send the request" }).click();
  await expect(page.getByText("Your request has been sent.")).toBeVisible();
  const mine = page.getByTestId("my-requests");
  await expect(mine).toContainText("Rectification");
  await expect(mine).toContainText("Open");
  await expectAccessible(page);

  // An administrator finds it on the list, due a month after today.
  await page.context().clearCookies();
  await signedInAdmin(page);
  await page.goto("/admin/requests");
  await ready(page);
  const row = page.getByRole("row").filter({ hasText: email });
  await expect(row).toContainText("Open");
  await expectAccessible(page);
  await row.getByRole("link", { name: /^Rectification #\d+$/ }).click();
  await expect(page).toHaveURL(/\/admin\/requests\/\d+$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Rectification request from");
  await expect(page.getByText("My job title is recorded wrongly.")).toBeVisible();
  const due = (await page.getByTestId("due").textContent())!.trim();
  await expectAccessible(page);

  // An extension needs a reason, and moves the date.
  await ready(page);
  await page.getByRole("button", { name: "Extend" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await page.getByLabel("Why more time is needed").fill("The records are held by two teams.");
  await page.getByRole("button", { name: "Extend" }).click();
  await expect(page.getByText("Time limit extended.")).toBeVisible();
  await expect(page.getByTestId("due")).not.toHaveText(due);

  await ready(page);
  await page.getByLabel("What was done, or why it was refused").fill("The job title was corrected.");
  await page.getByRole("button", { name: "Close the request" }).click();
  await expect(page.getByText("Request closed.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Extend" })).toHaveCount(0);
  await expectAccessible(page);
});
