import { test, expect } from "./fixtures";
import { configureSimApp, createOperator, signInAs } from "./installation";
import type { Page } from "@playwright/test";

// The environment's Overview (`/w/{ws}/e/{env}`): after an end user connects
// and a revocation makes the connection need re-authorization, the dashboard
// shows it among those needing attention (linked to its page) and draws the
// health checks; with JavaScript (hydrated, no console error) and without
// (the server's HTML is the whole page). Screenshots in light and dark.
test.describe.configure({ mode: "serial" });

const owner = { email: "overview@studio.test", password: "copper lantern meadow 71" };
const simAdmin = "http://127.0.0.1:" + (process.env.E2E_SIM_PORT ?? "3110");
test.beforeAll(() => createOperator("Overview Studio", owner.email, "owner", owner.password));

const overviewOf = (page: Page) => page.url().replace(/\/integrations$/, "");

test("the overview shows what happened, with charts in words and tables", async ({ page, browser }) => {
  // Connections are counted once a minute: the test may wait for the count.
  test.setTimeout(180_000);
  await signInAs(page, owner);
  const overview = overviewOf(page);
  await configureSimApp(page);

  // An end user connects.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connections" }).click();
  await page.getByLabel("End user id").fill("customer-3003");
  await page.getByLabel("Display name (optional)").fill("Katherine Johnson");
  await page.getByRole("button", { name: "Create link" }).click();
  const link = (await page.locator('[data-field="connect-link-url"]').textContent())!.trim();
  const endUser = await browser.newContext();
  const them = await endUser.newPage();
  await them.goto(link);
  await them.getByRole("button", { name: "Continue to Pinterest" }).click();
  await them.getByRole("button", { name: "Allow" }).click();
  await expect(them.getByRole("heading", { level: 1 })).toHaveText("Connected as @demo_pinner");
  await endUser.close();

  // Checked once; then Pinterest revokes it, and the next check says so.
  await page.reload();
  await page.locator("tr[data-connection]").getByRole("link").click();
  await page.getByRole("button", { name: "Check now" }).click();
  await expect(page.locator(".notice").first()).toContainText("Checked: Active");
  const revoked = await fetch(`${simAdmin}/_sim/tokens/revoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: "7654321", username: "demo_pinner" }),
  });
  expect(revoked.ok).toBeTruthy();
  await page.getByRole("button", { name: "Check now" }).click();
  await expect(page.locator('[data-field="state"]')).toHaveText("Needs re-authorization");
  // The probe chart tells outcomes apart in its legend, not only by colour.
  await expect(page.locator(".chart-legend")).toContainText("refused (token or scope)");

  // The Overview, from the navigation.
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Overview" }).click();
  await expect(page).toHaveURL(overview);
  await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
  await expect(page.locator('[data-field="tile-probes"]')).toContainText("1 found a problem");
  await expect(page.locator('[data-field="tile-refreshes"]')).toContainText("1 failed");

  // Health checks: an image named by its summary, its numbers a click away.
  const probes = page.locator('[data-chart="probes"]');
  await expect(probes.getByRole("img")).toHaveAttribute("aria-label", /1 ok, 1 refused by Pinterest/);
  await expect(probes.locator("table")).toBeHidden();
  await probes.getByText("Show the numbers").click();
  await expect(probes.locator("table")).toBeVisible();
  await expect(probes.locator("caption")).toHaveText("Health checks per hour");
  await expect(page.locator('[data-chart="latency"]').getByRole("img")).toHaveAttribute("aria-label", /in 3 calls/);

  // Wait for the minute's count of connections per state that follows the
  // revocation (a count taken while the connection was still active may be
  // there already).
  await expect(async () => {
    await page.reload();
    await expect(page.locator('[data-chart="states"]').getByRole("img")).toHaveAttribute(
      "aria-label",
      /1 needs re-authorization\./,
      { timeout: 1_000 },
    );
  }).toPass({ timeout: 130_000, intervals: [5_000] });

  await page.screenshot({ path: "test-results/dashboard-light.png", fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: "test-results/dashboard-dark.png", fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });

  // Needs attention: the connection, linked to its page.
  const attention = page.locator('[data-field="attention"] tr[data-connection]');
  await expect(attention).toHaveCount(1);
  await expect(attention).toContainText("Needs re-authorization");
  await attention.getByRole("link", { name: "Katherine Johnson" }).click();
  await expect(page.locator('[data-field="state"]')).toHaveText("Needs re-authorization");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the overview is complete in the server's HTML", async ({ page }) => {
    await signInAs(page, owner);
    await page.goto(overviewOf(page));
    await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
    for (const chart of ["states", "probes", "latency"]) {
      await expect(page.locator(`[data-chart="${chart}"] svg[role="img"]`)).toBeVisible();
    }
    await expect(page.locator('[data-field="no-tool-calls"]')).toHaveText("No agent tool calls in the last 24 hours.");
    // <details> opens without a script.
    const states = page.locator('[data-chart="states"]');
    await states.getByText("Show the numbers").click();
    await expect(states.locator("table")).toBeVisible();
    await expect(page.locator('[data-field="attention"] tr[data-connection] a')).toHaveAttribute(
      "href",
      /\/connections\/[0-9a-f-]{36}$/,
    );
    await page.screenshot({ path: "test-results/dashboard-no-js.png", fullPage: true });
  });
});
