import { test, expect } from "./fixtures";
import { configureSimApp, createOperator, signInAs } from "./installation";
import type { Page } from "@playwright/test";

// The whole flow of the seed against pinterest-sim (serve.sh registers app
// 7654321 with this pinbridge's redirect URI): the operator configures Pinterest
// and makes a connect link, the end user connects in a second browser, the
// operator checks the connection, Pinterest revokes it, the next check says so.
test.describe.configure({ mode: "serial" });

const admin = { email: "connect@studio.test", password: "amber harbour violin 58" };
const simAdmin = "http://127.0.0.1:" + (process.env.E2E_SIM_PORT ?? "3110");
test.beforeAll(() => createOperator("Board Makers", admin.email, "owner", admin.password));

const signIn = (page: Page) => signInAs(page, admin);

test("an end user connects, the operator checks it, a revocation shows as needs re-authorization", async ({
  page,
  browser,
}) => {
  await signIn(page);
  // Configure Pinterest with the simulator's app.
  await configureSimApp(page);

  // Connections → New connect link.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connections" }).click();
  await expect(page.getByRole("heading", { name: "Connections", level: 1 })).toBeVisible();
  await page.getByLabel("End user id").fill("customer-1001");
  await page.getByLabel("Display name (optional)").fill("Grace Hopper");
  await page.getByRole("button", { name: "Create link" }).click();
  const link = (await page.locator('[data-field="connect-link-url"]').textContent())!.trim();
  expect(link).toMatch(/\/connect\/[A-Za-z0-9_-]{43}$/);

  // The end user, in a browser of their own, consents on the simulator.
  const endUser = await browser.newContext();
  const them = await endUser.newPage();
  await them.goto(link);
  await expect(them.getByRole("heading", { level: 1 })).toContainText("Board Makers would like to connect");
  await expect(them.locator("body")).toContainText("Hi Grace Hopper");
  await them.screenshot({ path: "test-results/connect-page.png", fullPage: true });
  await them.getByRole("button", { name: "Continue to Pinterest" }).click();
  await them.getByRole("button", { name: "Allow" }).click();
  await expect(them.getByRole("heading", { level: 1 })).toHaveText("Connected as @demo_pinner");
  await them.screenshot({ path: "test-results/connected.png", fullPage: true });
  await endUser.close();

  // The operator sees it active with its account.
  await page.reload();
  const row = page.locator("tr[data-connection]");
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute("data-state", "active");
  await expect(row).toContainText("@demo_pinner");
  await expect(page.locator('.chip[data-state="active"]')).toContainText("1");
  await page.screenshot({ path: "test-results/connections.png", fullPage: true });
  await row.getByRole("link").click();
  await expect(page.locator('[data-field="state"]')).toHaveText("Active");
  await page.getByRole("button", { name: "Check now" }).click();
  await expect(page.locator(".notice").first()).toContainText("Checked: Active");
  await expect(page.locator("svg.probe-chart rect")).toHaveCount(1);

  // The user removes the app on Pinterest: the next check says re-authorize.
  const revoked = await fetch(`${simAdmin}/_sim/tokens/revoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: "7654321", username: "demo_pinner" }),
  });
  expect(revoked.ok).toBeTruthy();
  await page.getByRole("button", { name: "Check now" }).click();
  await expect(page.locator('[data-field="state"]')).toHaveText("Needs re-authorization");
  await expect(page.locator('[data-field="reason"]')).toContainText("connect again");
  await page.screenshot({ path: "test-results/connection.png", fullPage: true });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a connect link is made, shown once, and its page works", async ({ page, browser }) => {
    await signIn(page);
    await page.goto(page.url().replace(/integrations$/, "connections"));
    await page.getByLabel("End user id").fill("customer-2002");
    await page.getByRole("button", { name: "Create link" }).click();
    const link = (await page.locator('[data-field="connect-link-url"]').textContent())!.trim();
    expect(link).toMatch(/\/connect\//);
    await page.reload();
    await expect(page.locator('[data-field="connect-link-url"]')).toHaveCount(0);
    const endUser = await browser.newContext({ javaScriptEnabled: false });
    const them = await endUser.newPage();
    await them.goto(link);
    await them.getByRole("button", { name: "Continue to Pinterest" }).click();
    await them.getByRole("button", { name: "Deny" }).click();
    await expect(them.getByRole("heading", { level: 1 })).toHaveText("You did not connect Pinterest");
    await endUser.close();
  });
});
