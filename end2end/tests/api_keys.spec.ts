import { test, expect } from "./fixtures";
import { createOperator, signInAs } from "./installation";
import type { Page } from "@playwright/test";

// API keys in the portal: a key is shown once, works against /v1 at once, is
// never shown again, and stops working when revoked; the same without
// JavaScript; and the API reference renders the served OpenAPI document.
test.describe.configure({ mode: "serial" });

const admin = { email: "keys@studio.test", password: "copper lantern meadow 72" };
test.beforeAll(() => createOperator("Key Makers", admin.email, "owner", admin.password));

const signIn = (page: Page) => signInAs(page, admin);

async function openKeys(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
  await expect(page.getByRole("heading", { name: "API keys", level: 1 })).toBeVisible();
}

async function createKey(page: Page, name: string) {
  await page.getByLabel("Name").fill(name);
  await page.locator("#key-permission-connections-read").check();
  await page.locator("#key-permission-tokens").check();
  await page.getByRole("button", { name: "Create key" }).click();
  const text = (await page.locator('[data-field="issued-key-text"]').textContent())!.trim();
  expect(text).toMatch(/^pinbridge_dev_[0-9A-Za-z]{49}$/);
  return text;
}

test("a key is shown once, works at once, and stops working when revoked", async ({ page, request }) => {
  await signIn(page);
  await openKeys(page);
  await expect(page.locator('[data-field="no-keys"]')).toBeVisible();
  const key = await createKey(page, "Backend");
  await expect(page.getByRole("button", { name: "Copy API key" })).toBeVisible();
  await expect(page.locator('[data-field="issued-key"]')).toContainText("will not be shown again");
  await page.screenshot({ path: "test-results/api-key-issued.png", fullPage: true });

  const listed = await request.get("/v1/connections", { headers: { Authorization: `Bearer ${key}` } });
  expect(listed.status()).toBe(200);
  expect(await listed.json()).toEqual({ data: [], next_cursor: null });

  // Gone on the next visit: only its visible part is listed.
  await page.reload();
  await expect(page.locator('[data-field="issued-key"]')).toHaveCount(0);
  expect(await page.content()).not.toContain(key);
  const card = page.locator("article.api-key");
  await expect(card).toHaveCount(1);
  await expect(card.locator('[data-field="key-visible"]')).toHaveText(`pinbridge_dev_…${key.slice(-4)}`);
  await expect(card.locator('[data-field="key-permissions"]')).toContainText("connections:read");
  await page.screenshot({ path: "test-results/api-keys.png", fullPage: true });

  await card.getByText("Revoke…").click();
  await card.getByRole("button", { name: "Revoke “Backend”" }).click();
  await expect(card.locator('[data-field="key-state"]')).toHaveText(/Revoked/);
  const refused = await request.get("/v1/connections", { headers: { Authorization: `Bearer ${key}` } });
  expect(refused.status()).toBe(401);
  expect(refused.headers()["content-type"]).toBe("application/problem+json");
  expect(refused.headers()["www-authenticate"]).toContain("Bearer");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the form makes a key and the next page shows it once", async ({ page, request }) => {
    await signIn(page);
    await openKeys(page);
    const key = await createKey(page, "Cron job");
    const listed = await request.get("/v1/connections", { headers: { Authorization: `Bearer ${key}` } });
    expect(listed.status()).toBe(200);
    await page.reload();
    expect(await page.content()).not.toContain(key);
    // A refused form says why at its field, and keeps what was typed.
    await page.getByLabel("Name").fill("No permissions");
    await page.getByLabel("Acts for one end user").fill("customer-9");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.locator("body")).toContainText("Choose at least one permission");
    await expect(page.getByLabel("Acts for one end user")).toHaveValue("customer-9");
  });
});

test("the API reference shows every endpoint with a curl line for this pinbridge", async ({ page }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API reference" }).click();
  await expect(page.getByRole("heading", { name: "API reference", level: 1 })).toBeVisible();
  for (const path of ["/connect-sessions", "/connections/{id}/access-token", "/connections/{id}/pinterest/{path}"]) {
    await expect(page.locator("body")).toContainText(path);
  }
  await expect(page.locator("body")).toContainText("urn:pinbridge:problem:reconnect-required");
  await expect(page.locator("body")).toContainText("Authorization: Bearer $PINBRIDGE_API_KEY");
  await page.screenshot({ path: "test-results/api-reference.png", fullPage: true });
});
