import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { test, expect } from "./fixtures";
import { createOperator, signInAs } from "./installation";
import type { Page } from "@playwright/test";

// Webhooks in the portal: an endpoint is added and its signing secret shown
// once, a test event reaches a receiver on 127.0.0.1 and shows in the
// delivery log, the secret is rotated, the endpoint switched off and deleted;
// the same without JavaScript. The installation allows private targets
// (serve.sh), which the page says.
test.describe.configure({ mode: "serial" });

const admin = { email: "hooks@studio.test", password: "amber harbour signal 31" };
test.beforeAll(() => createOperator("Hook Makers", admin.email, "owner", admin.password));

// Screenshots go where WEBHOOKS_SHOTS says (outside the repository), else test-results.
const shots = process.env.WEBHOOKS_SHOTS ?? "test-results";
mkdirSync(shots, { recursive: true });
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

/** A receiver on 127.0.0.1 answering every request with `status`. */
async function receiver(status = 200, body = "ok"): Promise<{ url: string; got: string[]; server: Server }> {
  const got: string[] = [];
  const server = createServer((req, res) => {
    let data = "";
    req.on("data", (chunk) => (data += chunk));
    req.on("end", () => {
      got.push(data);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, got, server };
}

async function openWebhooks(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
}

async function addEndpoint(page: Page, url: string, description: string, types: string[]) {
  const form = page.locator("#new-webhook");
  await form.getByLabel("URL", { exact: true }).fill(url);
  await form.getByLabel("Description (optional)").fill(description);
  for (const t of types) await form.locator(`#new-endpoint-event-${t.replace(".", "-")}`).check();
  await form.getByRole("button", { name: "Add endpoint" }).click();
}

/** The secret the page shows once; after `previous`, waits until it is a new one
 * (the form's answer has arrived, not the last form's still on screen). */
async function shownSecret(page: Page, previous?: string): Promise<string> {
  const shown = page.locator('[data-field="issued-secret-text"]');
  if (previous !== undefined) await expect(shown).not.toHaveText(previous);
  const text = (await shown.textContent())!.trim();
  expect(text).toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
  return text;
}

/** Reloads the endpoint's page until its log shows a delivery of `status`. */
async function waitForDelivery(page: Page, status: string) {
  await expect(async () => {
    await page.reload();
    await expect(page.locator(`tr[data-status="${status}"]`).first()).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 15_000 });
}

test("an endpoint gets a secret once, receives a test event, is rotated, switched off and deleted", async ({ page }) => {
  const hook = await receiver();
  try {
    await signInAs(page, admin);
    await openWebhooks(page);
    await expect(page.locator('[data-field="no-endpoints"]')).toBeVisible();
    await expect(page.locator('[data-field="private-targets"]')).toContainText("development only");
    await shot(page, "webhooks-empty");

    await addEndpoint(page, hook.url, "Billing backend", ["connection.created", "connection.state_changed"]);
    const secret = await shownSecret(page);
    await expect(page.getByRole("button", { name: "Copy signing secret" })).toBeVisible();
    await expect(page.locator('[data-field="issued-secret"]')).toContainText("will not be shown again");
    const row = page.locator("article.webhook-endpoint");
    await expect(row).toHaveCount(1);
    await expect(row.locator('[data-field="endpoint-events"]')).toContainText("connection.state_changed");
    await expect(row.locator('[data-field="endpoint-pending"]')).toContainText("0 pending");
    await shot(page, "webhooks-secret-once");

    // Gone on the next visit.
    await page.reload();
    await expect(page.locator('[data-field="issued-secret"]')).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);

    // The endpoint's page: a test event reaches the receiver and shows in the log.
    await row.locator('[data-field="endpoint-link"]').click();
    await expect(page.getByRole("heading", { name: "Billing backend", level: 1 })).toBeVisible();
    await expect(page.locator('[data-field="no-deliveries"]')).toBeVisible();
    await page.getByRole("button", { name: "Send test event" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Test event" })).toBeVisible();
    await expect.poll(() => hook.got.length, { timeout: 15_000 }).toBe(1);
    expect(JSON.parse(hook.got[0]).type).toBe("webhook.test");
    await waitForDelivery(page, "succeeded");
    const delivery = page.locator('tr[data-status="succeeded"]');
    await expect(delivery.locator('[data-field="delivery-type"]')).toHaveText("webhook.test");
    await expect(delivery.locator('[data-field="delivery-answer"]')).toHaveText("HTTP 200");
    await expect(delivery.locator('[data-field="delivery-attempts"]')).toHaveText("1");
    expect(await page.content()).not.toContain("whsec_");

    // The filter.
    await page.getByLabel("Status").selectOption("failed");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/status=failed/);
    await expect(page.locator('[data-field="no-deliveries"]')).toContainText("No failed deliveries");
    await page.getByLabel("Status").selectOption("");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page.locator('tr[data-status="succeeded"]')).toHaveCount(1);

    // Rotated: a new secret, once; the old one keeps signing for 24 hours.
    await page.getByRole("button", { name: "Rotate secret" }).click();
    await expect(page.locator('[data-field="issued-secret"]')).toContainText("keeps signing");
    const rotated = await shownSecret(page, secret);
    expect(rotated).not.toBe(secret);

    // Switched off.
    const settings = page.locator("#edit-webhook");
    await settings.getByLabel("Enabled: send events to it").uncheck();
    await settings.getByRole("button", { name: "Save" }).click();
    await expect(page.locator('[data-field="endpoint-state"]')).toHaveText("Disabled");
    await page.reload();
    expect(await page.content()).not.toContain(rotated);
    await expect(page.locator("#endpoint-enabled")).not.toBeChecked();

    // Deleted, after a confirmation.
    await page.getByText("Delete endpoint…").click();
    await page.getByRole("button", { name: "Delete this endpoint" }).click();
    await expect(page).toHaveURL(/\/webhooks$/);
    await expect(page.locator('[data-field="no-endpoints"]')).toBeVisible();
  } finally {
    hook.server.close();
  }
});

test("the list counts pending and failed deliveries; a refusal is said at its field", async ({ page }) => {
  const ok = await receiver();
  const gone = await receiver(410, "<b>endpoint removed</b>");
  try {
    await signInAs(page, admin);
    await openWebhooks(page);
    // A refused form says why at its field and keeps what was typed.
    await addEndpoint(page, "ftp://hooks.example/in", "Typed description", ["connection.disconnected"]);
    await expect(page.locator("#new-webhook")).toContainText("must start with https://");
    await expect(page.locator("#new-endpoint-description")).toHaveValue("Typed description");
    await page.reload();
    await addEndpoint(page, ok.url, "", []);
    await expect(page.locator("#new-webhook")).toContainText("Choose at least one event type");
    await shot(page, "webhooks-errors");
    await page.reload();

    // Three endpoints: one that answers, one gone (410), one nobody listens on.
    await addEndpoint(page, ok.url, "Analytics", ["connection.created"]);
    const first = await shownSecret(page);
    await addEndpoint(page, gone.url, "Old CRM", ["connection.disconnected"]);
    const second = await shownSecret(page, first);
    await addEndpoint(page, "http://127.0.0.1:9/nobody", "Staging receiver", ["connection.refresh_failed"]);
    await shownSecret(page, second);
    for (const name of ["Analytics", "Old CRM", "Staging receiver"]) {
      await page.locator("article.webhook-endpoint").filter({ hasText: name }).locator('[data-field="endpoint-link"]').click();
      await page.getByRole("button", { name: "Send test event" }).click();
      await expect(page.getByRole("status").filter({ hasText: "Test event" })).toBeVisible();
      if (name === "Old CRM") {
        await waitForDelivery(page, "failed");
        // The receiver's answer is shown as text.
        await expect(page.locator('[data-field="delivery-excerpt"]')).toHaveText("<b>endpoint removed</b>");
        await expect(page.locator('[data-field="endpoint-disabled-reason"]')).toBeVisible();
        await shot(page, "webhook-endpoint-log");
      }
      await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Webhooks" }).click();
    }
    const crm = page.locator("article.webhook-endpoint").filter({ hasText: "Old CRM" });
    await expect(crm.locator('[data-field="endpoint-failed"]')).toContainText("1 failed");
    await expect(crm.locator('[data-field="endpoint-state"]')).toHaveText("Disabled");
    const staging = page.locator("article.webhook-endpoint").filter({ hasText: "Staging receiver" });
    await expect(staging.locator('[data-field="endpoint-pending"]')).toContainText("1 pending");
    await shot(page, "webhooks-with-endpoints");

    // Redeliver the failed one from its log, then replay failures since an hour ago.
    await crm.locator('[data-field="endpoint-link"]').click();
    await page.locator('tr[data-status="failed"]').getByRole("button", { name: "Redeliver" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Redelivery queued" })).toBeVisible();
    await expect(page.locator('tr[data-status="pending"]')).toHaveCount(1);
    await page.getByRole("button", { name: "Replay failed since…" }).click();
    await expect(page.getByRole("status").filter({ hasText: "No failed event" })).toBeVisible();
    await shot(page, "webhook-endpoint-redelivered");
  } finally {
    ok.server.close();
    gone.server.close();
  }
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the forms add an endpoint, show its secret once, send a test event and delete it", async ({ page }) => {
    const hook = await receiver();
    try {
      await signInAs(page, admin);
      await openWebhooks(page);
      await addEndpoint(page, hook.url, "No-JS receiver", []);
      await expect(page.locator("body")).toContainText("Choose at least one event type");
      await expect(page.locator("#new-endpoint-url")).toHaveValue(hook.url);
      await expect(page.locator("#new-endpoint-description")).toHaveValue("No-JS receiver");
      await page.locator("#new-endpoint-event-connection-created").check();
      await page.locator("#new-webhook").getByRole("button", { name: "Add endpoint" }).click();
      const secret = await shownSecret(page);
      await page.reload();
      expect(await page.content()).not.toContain(secret);

      await page.locator("article.webhook-endpoint").filter({ hasText: "No-JS receiver" }).locator('[data-field="endpoint-link"]').click();
      await page.getByRole("button", { name: "Send test event" }).click();
      await expect(page.locator("body")).toContainText("Test event");
      await expect.poll(() => hook.got.length, { timeout: 15_000 }).toBe(1);
      await waitForDelivery(page, "succeeded");

      await page.getByRole("button", { name: "Rotate secret" }).click();
      const rotated = await shownSecret(page);
      expect(rotated).not.toBe(secret);
      await page.reload();
      expect(await page.content()).not.toContain(rotated);

      await page.getByText("Delete endpoint…").click();
      await page.getByRole("button", { name: "Delete this endpoint" }).click();
      await expect(page).toHaveURL(/\/webhooks$/);
      await expect(page.locator("body")).toContainText("Deleted the endpoint");
      await expect(page.locator("article.webhook-endpoint").filter({ hasText: "No-JS receiver" })).toHaveCount(0);
    } finally {
      hook.server.close();
    }
  });
});
