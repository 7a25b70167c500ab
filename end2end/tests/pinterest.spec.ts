import { test, expect } from "./fixtures";
import { createOperator, signInAs } from "./installation";
import type { Page } from "@playwright/test";

// [Environment] → Integrations → Pinterest, configured exactly as the seed
// describes, against pinterest-sim (serve.sh starts it as pinbridge's
// Pinterest; its demo app is 1234567 with secret sim-demo-secret).
test.describe.configure({ mode: "serial" });

const admin = { email: "pins@studio.test", password: "copper willow lantern 73" };
const appId = "1234567";
const appSecret = "sim-demo-secret";
test.beforeAll(() => createOperator("Pin Studio", admin.email, "owner", admin.password));

const scope = (page: Page, name: string) => page.locator(`input[type=checkbox][value="${name}"]`);

const signIn = (page: Page) => signInAs(page, admin);

/** The seed's path: [Environment] → Integrations → Pinterest. */
async function openPinterest(page: Page, environment: string) {
  await page.locator("summary", { hasText: "Environment" }).click();
  await page.locator(".menu-list").getByRole("link", { name: environment }).click();
  await expect(page.locator(".environment-name")).toHaveText(environment);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations" }).click();
  await page.locator('[data-integration="pinterest"]').getByRole("link", { name: "Pinterest", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Pinterest", level: 1 })).toBeVisible();
  await expect(page.locator(".integration-hero .eyebrow")).toHaveText(environment);
}

test("configure Pinterest as the seed describes, reload, replace the secret, check credentials", async ({
  page,
  context,
  baseURL,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  await signIn(page);
  await expect(page.locator('[data-integration="pinterest"]')).toContainText("Not configured");
  await openPinterest(page, "Development");

  // The setup guide: five numbered steps with Pinterest's links, open while unconfigured.
  const guide = page.locator("details.guide");
  await expect(guide).toHaveAttribute("open", "");
  await expect(guide.locator("ol.steps > li")).toHaveCount(5);
  await expect(guide).toContainText("must not contain the word “Pinterest”");
  await expect(guide.getByRole("link", { name: "developers.pinterest.com/apps" })).toHaveAttribute(
    "href",
    "https://developers.pinterest.com/apps/",
  );

  // The redirect URI, copied exactly, with the warning for plain http on loopback.
  const redirect = `${baseURL}/integration-callback`;
  await expect(page.locator("#redirect-uri")).toHaveText(redirect);
  await page.getByRole("button", { name: "Copy redirect URI" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(redirect);
  await expect(page.locator(".redirect-card .warning")).toHaveCount(2);
  await expect(page.locator(".redirect-card")).toContainText("not https");

  // The three minimum scopes are checked and locked; the rest are free.
  for (const scope of ["user_accounts:read", "boards:read", "pins:read"]) {
    const box = page.locator(`input[type=checkbox][value="${scope}"]`);
    await expect(box).toBeChecked();
    await expect(box).toBeDisabled();
  }
  await expect(page.locator("input[type=checkbox][name='scopes[]']")).toHaveCount(17);
  await expect(page.locator(".scope-group legend")).toHaveText([
    "Account",
    "Boards",
    "Pins",
    "Ads",
    "Catalogs",
    "Billing",
    "Business access",
  ]);
  await expect(page.locator(".scope-notes")).toContainText("Trial access");
  await page.screenshot({ path: "test-results/pinterest-new.png", fullPage: true });

  // A wrong App id is refused at its field; nothing is saved.
  await page.getByLabel("App id").fill("app-1234567");
  await page.getByLabel("App secret key").fill(appSecret);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#pinterest-client-id-error")).toContainText("digits only");
  await expect(page.locator(".integration-hero .status")).toHaveText("Not configured");

  // The seed: App id as Client ID, App secret key as Client Secret, scopes, Save.
  await page.getByLabel("App id").fill(appId);
  await page.getByLabel("App secret key").fill(`${appSecret} `);
  await scope(page, "boards:write").check();
  await scope(page, "pins:write").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Pinterest is configured in this environment")).toBeVisible();
  await expect(page.getByText("were removed before it was stored")).toBeVisible();

  // Reload: the fingerprint and who set it, never the secret; the guide folds away.
  await page.reload();
  await expect(page.locator(".summary-card .fingerprint")).toHaveText("…cret");
  await expect(page.locator(".summary-card")).toContainText(admin.email);
  await expect(page.locator("details.guide")).not.toHaveAttribute("open", "");
  await expect(scope(page, "boards:write")).toBeChecked();
  expect(await page.content()).not.toContain(appSecret);
  await expect(page.locator('[data-check="never"]')).toBeVisible();

  // Check credentials: pinterest-sim's token endpoint accepts the demo app.
  await page.getByRole("button", { name: "Check credentials" }).click();
  await expect(page.locator(".check-result")).toContainText("Credentials accepted");
  await expect(page.locator(".check-result")).toContainText("HTTP 400");
  await expect(page.locator(".integration-hero .status")).toHaveText("Configured · credentials accepted");
  await page.screenshot({ path: "test-results/pinterest-configured.png", fullPage: true });

  // Replace the secret with a wrong one: the check says so.
  await page.getByText("Replace secret").click();
  await page.getByLabel("New App secret key").fill("not-the-demo-key1");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("The App secret key was replaced")).toBeVisible();
  await expect(page.locator(".summary-card .fingerprint")).toHaveText("…key1");
  await expect(page.locator('[data-check="never"]')).toBeVisible();
  await page.getByRole("button", { name: "Check credentials" }).click();
  await expect(page.locator(".check-result")).toContainText("Credentials rejected");
  await expect(page.locator(".check-result")).toContainText("Authentication failed.");

  // And back to the right one.
  await page.getByText("Replace secret").click();
  await page.getByLabel("New App secret key").fill(appSecret);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("The App secret key was replaced")).toBeVisible();
  await page.getByRole("button", { name: "Check credentials" }).click();
  await expect(page.locator(".check-result")).toContainText("Credentials accepted");

  // The Integrations card tells the same.
  await page.locator(".breadcrumbs a").click();
  await expect(page.locator('[data-integration="pinterest"]')).toContainText("credentials accepted");
  await page.screenshot({ path: "test-results/integrations-configured.png", fullPage: true });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the same configuration saves, refuses bad input at its field, and checks", async ({ page }) => {
    await signIn(page);
    await openPinterest(page, "Production");
    await expect(page.locator("details.guide")).toHaveAttribute("open", "");

    // Refused: the message at the field, what was typed kept, the secret not.
    await page.getByLabel("App id").fill("12 34");
    await page.getByLabel("App secret key").fill(appSecret);
    await scope(page, "ads:read").check();
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.locator("#pinterest-client-id-error")).toContainText("digits only");
    await expect(page.getByLabel("App id")).toHaveValue("12 34");
    await expect(page.getByLabel("App secret key")).toHaveValue("");
    await expect(scope(page, "ads:read")).toBeChecked();

    await page.getByLabel("App id").fill(appId);
    await page.getByLabel("App secret key").fill(appSecret);
    await page.locator('input[name="api"][value="sandbox"]').check();
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("Pinterest is configured in this environment")).toBeVisible();
    await expect(page.locator(".summary-card .fingerprint")).toHaveText("…cret");
    await expect(page.locator(".summary-card")).toContainText("Sandbox");
    await expect(scope(page, "ads:read")).toBeChecked();

    await page.getByRole("button", { name: "Check credentials" }).click();
    await expect(page.locator(".check-result")).toContainText("Credentials accepted");

    // Disable, then delete with the environment's name typed.
    await page.getByRole("button", { name: "Disable Pinterest" }).click();
    await expect(page.locator(".integration-hero .status")).toHaveText("Disabled");
    await page.getByText("Delete configuration…").click();
    await page.getByLabel("Environment name").fill("production");
    await page.getByRole("button", { name: "Delete configuration" }).click();
    await expect(page.locator("#pinterest-delete-confirm-error")).toContainText("exactly");
    await expect(page.locator(".availability-card .danger-zone")).toHaveAttribute("open", "");
    await page.getByLabel("Environment name").fill("Production");
    await page.getByRole("button", { name: "Delete configuration" }).click();
    await expect(page.locator(".integration-hero .status")).toHaveText("Not configured");
    await expect(page.getByRole("status")).toContainText("The Pinterest configuration of Production was deleted");
    await page.screenshot({ path: "test-results/pinterest-nojs.png", fullPage: true });
  });
});
