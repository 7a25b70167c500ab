import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { test, expect } from "./fixtures";
import { configureSimApp, createOperator, signInAs } from "./installation";
import { connectAssistant } from "./mcp_oauth_client";
import { blockPortalScripts, expectAccessible } from "./a11y";
import type { Page } from "@playwright/test";

// A hosted assistant adds pinbridge as a remote MCP server and signs in, the
// way the MCP authorization specification has it: the official MCP
// TypeScript SDK's OAuth client (discovery, dynamic registration, PKCE,
// resource) is the assistant; oidc-provider (a certified OpenID Provider) is
// the operator's own sign-in; pinterest-sim is Pinterest. The end user signs
// in, allows the assistant on a page in the operator's branding, connects
// Pinterest on the way, and the assistant's tools act on their account only.
test.describe.configure({ mode: "serial" });

const owner = { email: "hosted-assistants@studio.test", password: "amber harbour kettle 58" };
const idpClient = { id: "pinbridge-e2e", secret: "pinbridge-e2e-secret" };

let idp: ChildProcess | undefined;
let issuer = "";
let mcpUrl = "";

/** The test provider (end2end/idp/provider.mjs), on a free port. */
function startIdp(baseURL: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      path.join(__dirname, "..", "idp", "provider.mjs"),
      "--client-id", idpClient.id,
      "--client-secret", idpClient.secret,
      "--redirect-uri", `${baseURL}/oauth/sign-in/callback`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  idp = child;
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const ready = out.match(/^ready (\S+)$/m);
      if (ready) resolve(ready[1]);
    });
    child.on("exit", (code) => reject(new Error(`the test provider stopped (${code}): ${out}`)));
  });
}

test.beforeAll(async ({}, info) => {
  createOperator("Assistant Studio", owner.email, "owner", owner.password);
  issuer = await startIdp(String(info.project.use.baseURL));
});

test.afterAll(() => {
  idp?.kill("SIGTERM");
});

async function openAgents(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
  await expect(page.getByRole("heading", { name: "Hosted assistants" })).toBeVisible();
}

/** Signs in at the test provider as `login`. */
async function providerSignIn(page: Page, login: string) {
  await page.getByLabel("Username").fill(login);
  await page.getByLabel("Password").fill("any password");
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("the operator sets up sign-in on the Agents page and tests it", async ({ page }) => {
  await signInAs(page, owner);
  await configureSimApp(page);
  await openAgents(page);
  await expect(page.locator('[data-field="sign-in-missing"]')).toBeVisible();
  await expect(page.locator('[data-field="sign-in-redirect-uri"]')).toHaveText(/\/oauth\/sign-in\/callback$/);
  // A mistake is said at its field, and nothing is saved.
  await page.getByLabel("Issuer URL").fill("http://idp.example.com");
  await page.getByLabel("Client id").fill(idpClient.id);
  await page.getByLabel("Client secret").fill(idpClient.secret);
  await page.getByRole("button", { name: "Save sign-in" }).click();
  await expect(page.locator("#sign-in-issuer-error")).toContainText("https");
  await page.getByLabel("Issuer URL").fill(issuer);
  await page.getByLabel("Client secret").fill(idpClient.secret);
  await page.getByLabel("End user id claim").fill("end_user_id");
  await page.getByRole("button", { name: "Save sign-in" }).click();
  await expect(page.locator('[data-field="sign-in-issuer"]')).toHaveText(issuer);
  await expect(page.locator('[data-field="sign-in-claim"]')).toHaveText("end_user_id");
  // The secret is never shown again.
  expect(await page.content()).not.toContain(idpClient.secret);
  mcpUrl = (await page.locator('[data-field="assistant-mcp-url"]').textContent())!.trim();
  expect(mcpUrl).toMatch(/\/mcp\/[0-9a-f-]{36}$/);

  await page.getByRole("link", { name: "Test sign-in" }).click();
  await providerSignIn(page, "tester");
  await expect(page.getByRole("heading", { name: "Test sign-in worked" })).toBeVisible();
  await expect(page.getByText("\u201ctester\u201d")).toBeVisible();
  await page.getByRole("link", { name: "Back to the app" }).click();
  await expect(page.getByRole("heading", { name: "Hosted assistants" })).toBeVisible();
});

test("an assistant signs in as the end user, who connects Pinterest on the way", async ({ page, browser }) => {
  let consentSeen = false;
  const assistant = await connectAssistant(mcpUrl, {
    clientName: "Research Assistant",
    onAuthorize: async (url) => {
      await page.goto(url.href);
      await providerSignIn(page, "ann");
      await expect(
        page.getByRole("heading", { name: "Research Assistant wants to use your Pinterest boards through Assistant Studio" }),
      ).toBeVisible();
      await expect(page.getByText("See your Pinterest boards, pins and account")).toBeVisible();
      await expect(page.getByText("Secured by pinbridge")).toBeVisible();
      await expectAccessible(page, "the consent page");
      await page.screenshot({ path: test.info().outputPath("consent.png"), fullPage: true });
      consentSeen = true;
      await page.getByRole("button", { name: "Allow" }).click();
      // Pinterest first: ann has no connection yet.
      await page.getByRole("button", { name: "Continue to Pinterest" }).click();
      await page.getByRole("button", { name: "Allow" }).click();
      await expect(page.getByRole("heading", { name: "Authorization received" })).toBeVisible();
    },
  });
  expect(consentSeen).toBe(true);
  // Discovery went through the protected resource and authorization server metadata.
  expect(assistant.requests.some((r) => r.includes("/.well-known/oauth-protected-resource/mcp/"))).toBe(true);
  expect(assistant.requests.some((r) => r.startsWith("POST") && r.endsWith("/oauth/register"))).toBe(true);

  const { tools } = await assistant.client.listTools();
  expect(tools.length).toBeGreaterThan(5);
  for (const tool of tools) {
    const props = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
    expect(props.connection_id, tool.name).toBeUndefined();
    expect(props.end_user_id, tool.name).toBeUndefined();
  }
  const account = await assistant.client.callTool({ name: "get_user_account", arguments: {} });
  expect(account.isError).toBeFalsy();
  const listed = await assistant.client.callTool({ name: "list_connections", arguments: {} });
  const connections = (listed.structuredContent as { connections: { end_user_id: string }[] }).connections;
  expect(connections.map((c) => c.end_user_id)).toEqual(["ann"]);

  // The operator sees it on the Agents page, and revokes it.
  const operator = await browser.newContext();
  const admin = await operator.newPage();
  await signInAs(admin, owner);
  await openAgents(admin);
  const row = admin.locator('[data-field="authorized-assistants"] tbody tr');
  await expect(row).toHaveCount(1);
  await expect(row.locator('[data-field="assistant-end-user"]')).toHaveText("ann");
  await expect(row.locator('[data-field="assistant-name"]')).toHaveText("Research Assistant");
  await admin.locator('[data-field="assistant-sign-in"]').screenshot({ path: test.info().outputPath("agents-sign-in.png") });
  await admin.locator('[data-field="authorized-assistants"]').screenshot({ path: test.info().outputPath("agents-authorized.png") });
  await expect(row).toContainText(assistant.redirectUrl);
  const token = assistant.provider.tokens()!.access_token;
  await row.getByRole("button", { name: "Revoke Research Assistant for ann" }).click();
  await expect(admin.locator('[data-field="no-assistants"]')).toBeVisible();
  const after = await fetch(mcpUrl, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });
  expect(after.status).toBe(401);
  await assistant.close();
  await operator.close();
});

test("the end user sees and disconnects their assistants; without JavaScript too", async ({ page, browser }) => {
  // Already connected: the consent page leads straight back to the assistant.
  const assistant = await connectAssistant(mcpUrl, {
    clientName: "Weekend Planner",
    onAuthorize: async (url) => {
      await page.goto(url.href);
      await providerSignIn(page, "ann");
      await expect(page.getByText("is not connected")).toHaveCount(0);
      await page.getByRole("button", { name: "Allow" }).click();
      await expect(page.getByRole("heading", { name: "Authorization received" })).toBeVisible();
    },
  });
  await assistant.client.listTools();
  // A second sign-in for the same end user shows the way to "Connected assistants".
  const noJs = await browser.newContext();
  await blockPortalScripts(noJs);
  const plain = await noJs.newPage();
  const second = connectAssistant(mcpUrl, {
    clientName: "Curious Bot",
    onAuthorize: async (url) => {
      await plain.goto(url.href);
      await providerSignIn(plain, "ann");
      await plain.getByRole("link", { name: "Connected assistants" }).click();
      const item = plain.locator("li.assistant", { hasText: "Weekend Planner" });
      await expect(item).toBeVisible();
      await expectAccessible(plain, "Connected assistants");
      await item.getByRole("button", { name: "Disconnect Weekend Planner" }).click();
      await expect(plain.getByRole("status")).toContainText("Disconnected");
      await expect(plain.locator("li.assistant", { hasText: "Weekend Planner" })).toHaveCount(0);
      await plain.getByRole("link", { name: "Back" }).click();
      await plain.getByRole("button", { name: "Deny" }).click();
    },
  });
  await expect(second).rejects.toThrow(/access_denied/);
  // The operator's sign-in card without JavaScript: a blank secret keeps the stored one.
  const adminPage = await noJs.newPage();
  await signInAs(adminPage, owner);
  await openAgents(adminPage);
  await adminPage.getByLabel("End user id claim").fill("end_user_id");
  await adminPage.getByRole("button", { name: "Save sign-in" }).click();
  await expect(adminPage.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await adminPage.getByLabel("Issuer URL").fill("ftp://nowhere.example");
  await adminPage.getByRole("button", { name: "Save sign-in" }).click();
  await expect(adminPage.locator("#sign-in-issuer-error")).toContainText("https");
  await expect(adminPage.locator('[data-field="sign-in-issuer"]')).toHaveText(issuer);
  // Removed: assistants can no longer sign end users in.
  await adminPage.getByRole("button", { name: "Remove sign-in" }).click();
  await expect(adminPage.getByRole("status").filter({ hasText: "Sign-in removed" })).toBeVisible();
  await expect(adminPage.locator('[data-field="sign-in-missing"]')).toBeVisible();
  const token = assistant.provider.tokens()!.access_token;
  const after = await fetch(mcpUrl, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });
  expect(after.status).toBe(401);
  await assistant.close();
  await noJs.close();
});
