import { test, expect } from "./fixtures";
import { configureSimApp, createOperator, signInAs } from "./installation";
import type { APIRequestContext, Browser, Page } from "@playwright/test";

// The Agents page: where AI agents reach pinbridge's MCP endpoint, and the
// keys they use. An agent key bound to one end user is made from it through
// the API keys page, with and without JavaScript, and listed with its end user;
// an agent's calls with it show there and on the end user's connection page.
test.describe.configure({ mode: "serial" });

const admin = { email: "agents@studio.test", password: "silver kettle harbour 91" };
test.beforeAll(() => createOperator("Agent Makers", admin.email, "owner", admin.password));

const signIn = (page: Page) => signInAs(page, admin);

async function openAgents(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
  await expect(page).toHaveURL(/\/e\/development\/agents$/);
  await expect(page.getByRole("heading", { name: "Agents", level: 1 })).toBeVisible();
}

/** One stateless MCP tool call (protocol 2026-07-28, as the page's curl command sends). */
async function callTool(request: APIRequestContext, key: string, tool: string, args: object = {}) {
  const meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  const answer = await request.post("/mcp", {
    headers: {
      Authorization: `Bearer ${key}`,
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "MCP-Protocol-Version": "2026-07-28",
      "Mcp-Method": "tools/call",
      "Mcp-Name": tool,
    },
    data: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: tool, arguments: args, _meta: meta } },
  });
  expect(answer.status()).toBe(200);
}

/** "New agent key" → the API keys form with `agent` chosen; answers the key's text. */
async function createAgentKey(page: Page, name: string, endUser: string) {
  await page.getByRole("link", { name: "New agent key" }).click();
  await expect(page).toHaveURL(/\/api-keys\?new=agent#new-api-key$/);
  await expect(page.getByRole("heading", { name: "API keys", level: 1 })).toBeVisible();
  await expect(page.locator("#key-permission-agent")).toBeChecked();
  await expect(page.locator("#key-permission-tokens")).not.toBeChecked();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Acts for one end user").fill(endUser);
  await page.getByRole("button", { name: "Create key" }).click();
  const text = (await page.locator('[data-field="issued-key-text"]').textContent())!.trim();
  expect(text).toMatch(/^pinbridge_dev_[0-9A-Za-z]{49}$/);
  return text;
}

/** Pinterest configured with the simulator's app, and `endUser` connected through a connect link. */
async function connectEndUser(page: Page, browser: Browser, endUser: string) {
  await configureSimApp(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connections" }).click();
  await page.getByLabel("End user id").fill(endUser);
  await page.getByRole("button", { name: "Create link" }).click();
  const link = (await page.locator('[data-field="connect-link-url"]').textContent())!.trim();
  const theirs = await browser.newContext();
  const them = await theirs.newPage();
  await them.goto(link);
  await them.getByRole("button", { name: "Continue to Pinterest" }).click();
  await them.getByRole("button", { name: "Allow" }).click();
  await expect(them.getByRole("heading", { level: 1 })).toHaveText("Connected as @demo_pinner");
  await theirs.close();
}

test("an agent key bound to an end user is made from the Agents page, listed there, and its calls shown", async ({
  page,
  context,
  browser,
  request,
  baseURL,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  await signIn(page);
  await connectEndUser(page, browser, "customer-1001");
  await openAgents(page);
  const mcp = `${baseURL}/mcp`;
  await expect(page.locator('[data-field="mcp-url"]')).toHaveText(mcp);
  await expect(page.locator('[data-field="client-config"]')).toContainText('"url": "' + mcp + '"');
  await expect(page.locator('[data-field="curl-list-tools"]')).toContainText("tools/list");
  await expect(page.locator('[data-field="no-agent-keys"]')).toBeVisible();
  await expect(page.locator(".tool-list li")).toHaveCount(13);
  await expect(page.locator('[data-field="no-tool-calls"]')).toHaveText("No tool calls yet.");
  // The copy buttons work once the page has hydrated.
  const copy = page.getByRole("button", { name: "Copy MCP endpoint" });
  await copy.click();
  await expect(copy).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(mcp);

  const key = await createAgentKey(page, "Support bot", "customer-1001");
  const card = page.locator("article.api-key", { hasText: "Support bot" });
  await expect(card.locator('[data-field="key-end-user"]')).toHaveText("customer-1001");
  await expect(card.locator('[data-field="key-permissions"]')).toHaveText(/^agent\s*$/);
  await page.screenshot({ path: "test-results/api-keys-agent.png", fullPage: true });

  await openAgents(page);
  const row = page.locator(".agent-keys-table tbody tr", { hasText: "Support bot" });
  await expect(row).toHaveCount(1);
  await expect(row.locator('[data-field="key-end-user"]')).toHaveText("customer-1001");
  await expect(row.locator('[data-field="key-visible"]')).toHaveText(`pinbridge_dev_…${key.slice(-4)}`);
  expect(await page.content()).not.toContain(key);

  // An agent uses the key: its calls show, with how they ended (written every 2 s).
  await callTool(request, key, "list_connections");
  await callTool(request, key, "get_user_account");
  // The key is bound to customer-1001: another end user is out of its reach.
  await callTool(request, key, "list_boards", { end_user_id: "customer-2002" });
  const calls = page.locator(".tool-calls-table tbody tr");
  await expect(async () => {
    await page.reload();
    await expect(calls).toHaveCount(3, { timeout: 500 });
  }).toPass({ timeout: 15_000 });
  const listed = page.locator('tr[data-tool="list_connections"]');
  await expect(listed).toHaveAttribute("data-outcome", "ok");
  await expect(listed.locator('[data-field="call-outcome"]')).toHaveText("OK");
  await expect(listed).toContainText("Support bot");
  const refused = page.locator('tr[data-tool="list_boards"]');
  await expect(refused).toHaveAttribute("data-outcome", "not_found");
  await expect(refused.locator('[data-field="call-outcome"]')).toHaveClass(/status-bad/);
  const account = page.locator('tr[data-tool="get_user_account"]');
  await expect(account).toHaveAttribute("data-outcome", "ok");
  await page.screenshot({ path: "test-results/agents.png", fullPage: true });

  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: "test-results/agents-dark.png", fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 390, height: 844 });
  // Nothing wider than the screen: tables and commands scroll inside their cards.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/agents-narrow.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });

  // The end user leads to their connection, which counts and lists the agent's calls.
  await account.locator('[data-field="call-end-user"]').getByRole("link", { name: "customer-1001" }).click();
  await expect(page.getByRole("heading", { name: "customer-1001", level: 1 })).toBeVisible();
  const usage = page.locator(".api-calls-table tbody tr", { hasText: "Support bot" });
  await expect(usage.locator('[data-field="tool-call-count"]')).toHaveText("1");
  const recent = page.locator('[data-field="tool-calls"] tbody tr');
  await expect(recent).toHaveCount(1);
  await expect(recent).toHaveAttribute("data-tool", "get_user_account");
  await page.locator('[data-field="tool-calls"]').screenshot({ path: "test-results/connection-agent-calls.png" });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the Agents page leads to a bound key, refused at its field when malformed", async ({ page }) => {
    await signIn(page);
    await page.goto(page.url().replace(/integrations$/, "agents"));
    await expect(page.getByRole("heading", { name: "Agents", level: 1 })).toBeVisible();
    // Without wasm the copy buttons stay hidden; the text is there to select.
    await expect(page.getByRole("button", { name: "Copy MCP endpoint" })).toBeHidden();
    await expect(page.locator('[data-field="mcp-url"]')).toContainText("/mcp");

    await page.getByRole("link", { name: "New agent key" }).click();
    await expect(page.locator("#key-permission-agent")).toBeChecked();
    await page.getByLabel("Name").fill("Night agent");
    await page.getByLabel("Acts for one end user").fill("bad\tuser");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.locator("#key-end-user-error")).toContainText("must not contain control characters");
    await expect(page.getByLabel("Name")).toHaveValue("Night agent");
    await expect(page.locator("#key-permission-agent")).toBeChecked();

    const key = await (async () => {
      await page.getByLabel("Acts for one end user").fill("customer-2002");
      await page.getByRole("button", { name: "Create key" }).click();
      return (await page.locator('[data-field="issued-key-text"]').textContent())!.trim();
    })();
    expect(key).toMatch(/^pinbridge_dev_[0-9A-Za-z]{49}$/);
    const card = page.locator("article.api-key", { hasText: "Night agent" });
    await expect(card.locator('[data-field="key-end-user"]')).toHaveText("customer-2002");

    await page.goto(page.url().replace(/api-keys.*$/, "agents"));
    const row = page.locator(".agent-keys-table tbody tr", { hasText: "Night agent" });
    await expect(row.locator('[data-field="key-end-user"]')).toHaveText("customer-2002");
    expect(await page.content()).not.toContain(key);
  });
});
