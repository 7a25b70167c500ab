import { readFileSync } from "node:fs";
import { test, expect } from "./fixtures";
import { expectAccessible } from "./a11y";
import { createOperator, signInAs } from "./installation";
import type { Page } from "@playwright/test";

// The audit log taken out: "Export CSV" on the Audit log page downloads every
// event the page's filters match, as RFC 4180 CSV that parses and starts with
// the rows the page shows; with JavaScript and without. And an owner's
// workspace key, shown once, reads the log over the API and nothing else.
test.describe.configure({ mode: "serial" });

const owner = { email: "exports@ledger.test", password: "amber harbour quill 58" };
test.beforeAll(() => createOperator("Export Ledger", owner.email, "owner", owner.password));

const header = [
  "id", "seq", "created_at", "environment", "actor", "action",
  "target", "detail", "ip", "user_agent", "hash", "prev_hash",
];

async function openAudit(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log", level: 1 })).toBeVisible();
}

/** RFC 4180: quoted cells may hold commas, doubled quotes and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"' && cell === "") {
      quoted = true;
    } else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else {
      cell += c;
    }
  }
  expect(quoted, "an unterminated quote").toBe(false);
  expect(row.length === 0 && cell === "", "the last record ends in CRLF").toBe(true);
  return rows;
}

/** The event ids of the page's first rows, in its order. */
async function firstRows(page: Page, n: number): Promise<string[]> {
  const ids = await page.locator("tbody tr[data-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id") ?? ""));
  expect(ids.length).toBeGreaterThan(0);
  return ids.slice(0, n);
}

/** Clicks "Export CSV" and answers the download's name and its rows. */
async function exportCsv(page: Page): Promise<{ name: string; rows: string[][] }> {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export CSV" }).click(),
  ]);
  const file = await download.path();
  return { name: download.suggestedFilename(), rows: parseCsv(readFileSync(file, "utf8")) };
}

async function exportsWhatThePageShows(page: Page) {
  await signInAs(page, owner);
  await openAudit(page);
  const shown = await firstRows(page, 5);
  const { name, rows } = await exportCsv(page);
  expect(name).toMatch(/^pinbridge-audit-export-ledger-\d{4}-\d{2}-\d{2}\.csv$/);
  expect(rows[0]).toEqual(header);
  expect(rows.slice(1).every((r) => r.length === header.length)).toBe(true);
  expect(rows.slice(1, shown.length + 1).map((r) => r[0])).toEqual(shown);

  // The link carries the page's filter: only sign-ins, and every one of them.
  await page.getByLabel("Action").selectOption("session.signed_in");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=session.signed_in/);
  await expect(page.locator('tbody tr:not([data-action="session.signed_in"])')).toHaveCount(0);
  const signIns = await firstRows(page, 50);
  const filtered = await exportCsv(page);
  expect(filtered.rows.slice(1).map((r) => r[0])).toEqual(signIns);
  expect(filtered.rows.slice(1).every((r) => r[5] === "session.signed_in")).toBe(true);
}

test("Export CSV holds the page's rows", async ({ page }) => {
  await exportsWhatThePageShows(page);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });
  test("Export CSV holds the page's rows", async ({ page }) => {
    await exportsWhatThePageShows(page);
  });
});

test("an owner's workspace key is shown once and reads the audit log alone", async ({ page, request }) => {
  await signInAs(page, owner);
  await openAudit(page);
  const card = page.locator('[data-field="workspace-keys"]');
  await expect(card.getByRole("heading", { name: "Workspace audit keys" })).toBeVisible();
  await card.getByLabel("Name").fill("SIEM");
  await card.getByRole("button", { name: "Create workspace key" }).click();
  const key = (await page.locator('[data-field="issued-workspace-key-text"]').textContent())!.trim();
  expect(key).toMatch(/^pinbridge_ws_[0-9A-Za-z]{49}$/);
  await page.screenshot({ path: "test-results/audit-workspace-key.png", fullPage: true });

  const log = await request.get("/v1/audit-events", { headers: { Authorization: `Bearer ${key}` } });
  expect(log.status()).toBe(200);
  const body = await log.json();
  expect(body.data.some((r: { action: string }) => r.action === "workspace.key_created")).toBe(true);
  const elsewhere = await request.get("/v1/connections", { headers: { Authorization: `Bearer ${key}` } });
  expect(elsewhere.status()).toBe(403);
  expect((await elsewhere.json()).detail).toContain("only reads the audit log");

  await page.reload();
  await expect(page.locator('[data-field="issued-workspace-key"]')).toHaveCount(0);
  expect(await page.content()).not.toContain(key);
  const row = card.locator("article.workspace-key");
  await expect(row.locator('[data-field="key-visible"]')).toHaveText(`pinbridge_ws_…${key.slice(-4)}`);
  await row.getByText("Revoke…").click();
  await row.getByRole("button", { name: "Revoke “SIEM”" }).click();
  await expect(row.locator('[data-field="key-state"]')).toHaveText("Revoked");
  await expectAccessible(page, "the audit log with its workspace keys");
  const refused = await request.get("/v1/audit-events", { headers: { Authorization: `Bearer ${key}` } });
  expect(refused.status()).toBe(401);
});
