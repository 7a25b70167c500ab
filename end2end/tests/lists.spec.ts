import { test, expect } from "./fixtures";
import { createOperator, signInAs } from "./installation";
import type { Page } from "@playwright/test";

// The long lists' addresses (issue 18): the Connections list's search and
// pager, and addresses nobody's link makes (a page that is not a page, a
// garbled cursor, an unknown state or action), which get a message on the
// page (HTTP 422) and a way back, with JavaScript and without.
test.describe.configure({ mode: "serial" });

const owner = { email: "lists@ledger.test", password: "copper lantern meadow 77" };
test.beforeAll(() => createOperator("Ledger Lists", owner.email, "owner", owner.password));

// The refused documents answer 422, which Chromium reports on the console.
const refusedDocument = /status of 422 .*\/(connections|audit)\?/;

async function refusedLists(page: Page) {
  await signInAs(page, owner);
  const connections = page.url().replace(/integrations$/, "connections");
  const audit = connections.replace(/\/e\/development\/connections$/, "/audit");

  let response = await page.goto(`${connections}?page=abc`);
  expect(response?.status()).toBe(422);
  await expect(page.locator('[data-field="list-refused"]')).toContainText("“abc” is not a page");
  await page.getByRole("link", { name: "Show the newest connections" }).click();
  await expect(page.getByRole("heading", { name: "Connections", level: 1 })).toBeVisible();
  await expect(page.locator('[data-field="matching"]')).toContainText("0 connections");

  response = await page.goto(`${connections}?state=nonsense`);
  expect(response?.status()).toBe(422);
  await expect(page.locator('[data-field="list-refused"]')).toContainText("“nonsense” is not a state");

  response = await page.goto(`${connections}?q=${"x".repeat(500)}`);
  expect(response?.status()).toBe(422);
  await expect(page.locator('[data-field="list-refused"]')).toContainText("at most 100 characters");

  // The search form: a search that finds nobody is an empty list.
  await page.goto(connections);
  await page.getByLabel("Search").fill("nobody");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/q=nobody/);
  await expect(page.locator('[data-field="no-connections"]')).toBeVisible();

  response = await page.goto(`${audit}?after=garbage`);
  expect(response?.status()).toBe(422);
  await expect(page.locator('[data-field="log-refused"]')).toContainText("This page link is not valid");
  await page.getByRole("link", { name: "Show the newest events" }).click();
  await expect(page.getByRole("heading", { name: "Audit log", level: 1 })).toBeVisible();
  await expect(page.locator("tr[data-action]").first()).toBeVisible();
}

test.describe("with JavaScript", () => {
  test.use({ allowedConsoleErrors: [refusedDocument] });
  test("absurd list addresses get a message and a way back", async ({ page }) => {
    await refusedLists(page);
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false, allowedConsoleErrors: [refusedDocument] });
  test("absurd list addresses get a message and a way back", async ({ page }) => {
    await refusedLists(page);
  });
});
