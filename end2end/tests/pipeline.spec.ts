import { test, expect } from "./fixtures";
import { createOperator, pinbridge, signInAs } from "./installation";
import { expectAccessible } from "./a11y";
import type { Page } from "@playwright/test";

// Environments as a pipeline: Development and Production configured apart,
// compared side by side in the portal (no secret shown), one difference
// promoted after typing the target's name; the same without JavaScript; and
// the CLI's dry run seeing what the portal sees.
test.describe.configure({ mode: "serial" });

const admin = { email: "pipeline@studio.test", password: "amber quarry lantern 58" };
const devSecret = "e2e-pipeline-dev-secret";
const prodSecret = "e2e-pipeline-prod-secret";
test.beforeAll(() => createOperator("Pipeline Studio", admin.email, "owner", admin.password));

async function configure(page: Page, environment: string, secret: string, extraScope?: string) {
  await page.goto(page.url().replace(/\/e\/[^/]+\/.*$/, `/e/${environment}/integrations/pinterest`));
  await page.getByLabel("App id").fill("1234567");
  // Once configured, the secret is kept unless replaced (a folded field).
  const secretField = page.getByLabel("App secret key");
  if (await secretField.isVisible()) await secretField.fill(secret);
  const extra = page.locator(`input[type=checkbox][value="ads:read"]`);
  if (extraScope) await extra.check();
  else await extra.uncheck();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator('[data-field="client_id"]')).toHaveText("1234567");
}

async function openCompare(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Environments" }).click();
  await page.getByRole("link", { name: "Compare environments" }).click();
  await page.getByLabel("From", { exact: true }).selectOption({ label: "Development" });
  await page.getByLabel("To", { exact: true }).selectOption({ label: "Production" });
  await page.getByRole("button", { name: "Compare" }).click();
  await expect(page.locator('[data-field="drift-summary"]')).toBeVisible();
}

test("compare two environments and promote a difference", async ({ page }) => {
  await signInAs(page, admin);
  await configure(page, "production", prodSecret);
  await configure(page, "development", devSecret, "ads:read");
  await openCompare(page);

  await expect(page.locator('[data-field="drift-summary"]')).toHaveText("2 differences.");
  const scopes = page.locator('tr[data-item="pinterest.scopes"]');
  await expect(scopes).toContainText("ads:read");
  await expect(scopes).toContainText("Newer in Development");
  await expect(page.locator('tr[data-item="pinterest.secret"]')).toContainText("fingerprint ");
  await expect(page.locator('tr[data-item="pinterest.secret"] input[type=checkbox]')).toHaveCount(0);
  const html = await page.content();
  expect(html).not.toContain(devSecret);
  expect(html).not.toContain(prodSecret);
  await page.screenshot({ path: "test-results/pipeline-compare.png", fullPage: true });
  await expectAccessible(page, "the comparison");

  // The CLI's dry run sees the same differences and changes nothing.
  const dry = pinbridge(["env", "diff", "--workspace", "Pipeline Studio", "--from", "Development", "--to", "Production", "--json"]);
  expect(JSON.parse(dry).differences).toBe(2);

  await page.getByRole("checkbox", { name: "Copy Scopes" }).check();
  await page.getByRole("button", { name: "Review promotion…" }).click();
  await expect(page.getByRole("heading", { name: "Promote Development → Production" })).toBeVisible();
  await expect(page.locator('tr[data-item="pinterest.scopes"]')).toContainText("ads:read");
  await page.screenshot({ path: "test-results/pipeline-review.png", fullPage: true });
  await expectAccessible(page, "the promotion's review");

  await page.getByLabel("Target environment").fill("production");
  await page.getByRole("button", { name: "Promote to Production" }).click();
  await expect(page.getByText("Type the target environment's name").first()).toBeVisible();
  await page.getByLabel("Target environment").fill("Production");
  await page.getByRole("button", { name: "Promote to Production" }).click();
  await expect(page.getByText("Promoted 1 change to Production.")).toBeVisible();
  // With the page hydrated the answer shows here, with the way back; a click
  // before hydration posts the form and lands on the comparison itself.
  const again = page.getByRole("link", { name: "Compare again" });
  if (await again.count()) await again.first().click();
  await expect(page.locator('[data-field="drift-summary"]')).toHaveText("1 difference.");
  await page.screenshot({ path: "test-results/pipeline-promoted.png", fullPage: true });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the comparison and the promotion work as plain forms", async ({ page }) => {
    await signInAs(page, admin);
    await configure(page, "development", devSecret);
    await page.goto(page.url().replace(/\/e\/.*$/, "/environments/compare?from=development&to=production"));
    await expect(page.locator('[data-field="drift-summary"]')).toHaveText("2 differences.");
    await page.getByRole("checkbox", { name: "Copy Scopes" }).check();
    await page.getByRole("button", { name: "Review promotion…" }).click();
    await page.getByLabel("Target environment").fill("Production");
    await page.getByRole("button", { name: "Promote to Production" }).click();
    await expect(page.getByText("Promoted 1 change to Production.")).toBeVisible();
    await expect(page.locator('[data-field="drift-summary"]')).toContainText("1 difference.");
    await page.screenshot({ path: "test-results/pipeline-promoted-nojs.png", fullPage: true });
  });
});
