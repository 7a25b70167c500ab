import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { test, expect } from "./fixtures";
import { configureSimApp, createOperator, signInAs } from "./installation";
import type { APIRequestContext, Page } from "@playwright/test";

// The JavaScript SDK's connect(): an operator's page, served from another
// origin on 127.0.0.1, opens a connect session in a popup; the end user
// consents on pinterest-sim and the promise resolves with the connection id.
// A closed popup rejects; a page on an origin the link does not return to
// hears nothing; a blocked popup falls back to the whole window.
test.describe.configure({ mode: "serial" });

const owner = { email: "popup@studio.test", password: "copper meadow signal 73" };
const sdk = path.resolve(__dirname, "../../sdk/js");

/** The SDK's browser module, built from sdk/js with its own TypeScript. */
function sdkModule(): string {
  const tsc = path.join(sdk, "node_modules/.bin/tsc");
  if (!existsSync(tsc)) throw new Error("sdk/js has no node_modules: run scripts/sdk-tools.sh (make setup-test)");
  execFileSync(tsc, ["-p", path.join(sdk, "tsconfig.json")], { stdio: "inherit" });
  return readFileSync(path.join(sdk, "dist/connect.js"), "utf8");
}

/** An operator's page: a button that calls connect() with `?session=`, and the result. */
const operatorPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Operator</title></head>
<body>
  <button id="connect">Connect Pinterest</button>
  <p id="result">waiting</p>
  <script type="module">
    import { connect, ConnectError } from "/sdk/connect.js";
    window.messages = [];
    window.addEventListener("message", (e) => window.messages.push({ origin: e.origin, data: e.data }));
    const session = new URL(location.href).searchParams.get("session");
    const out = document.getElementById("result");
    document.getElementById("connect").addEventListener("click", () => {
      out.textContent = "pending";
      connect(session).then(
        (r) => { out.textContent = "connected:" + r.connectionId; },
        (e) => { out.textContent = (e instanceof ConnectError ? "error:" + e.code : "other:" + e); },
      );
    });
  </script>
</body></html>`;

/** Serves the operator's page, the SDK and a return page, on a port of its own. */
async function operatorSite(module: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/sdk/connect.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(module);
    } else if (url.pathname === "/done") {
      res.writeHead(200, { "content-type": "text/html" }).end(`<!DOCTYPE html><title>Done</title><p id="done">${url.search.replace(/[<>&"]/g, "")}</p>`);
    } else {
      res.writeHead(200, { "content-type": "text/html" }).end(operatorPage);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

let allowed: { server: Server; origin: string };
let other: { server: Server; origin: string };
let apiKey = "";

test.beforeAll(async () => {
  createOperator("Popup Makers", owner.email, "owner", owner.password);
  const module = sdkModule();
  allowed = await operatorSite(module);
  other = await operatorSite(module);
});

test.afterAll(() => {
  allowed?.server.close();
  other?.server.close();
});

/** A connect session made by the operator's server through the API. */
async function session(request: APIRequestContext, endUser: string): Promise<string> {
  const answer = await request.post("/v1/connect-sessions", {
    headers: { Authorization: `Bearer ${apiKey}` },
    data: { end_user_id: endUser, return_url: `${allowed.origin}/done` },
  });
  expect(answer.status()).toBe(201);
  const body = await answer.json();
  expect(body.url).toContain("/connect/");
  return body.url;
}

/** Clicks the operator's button; answers the popup it opened. */
async function openPopup(page: Page): Promise<Page> {
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.locator("#connect").click()]);
  return popup;
}

test("the operator allows its origin and makes an API key", async ({ page }) => {
  await signInAs(page, owner);
  await configureSimApp(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connections" }).click();
  await page.getByLabel("Origins").fill(allowed.origin);
  await page.getByRole("button", { name: "Save origins" }).click();
  await expect(page.getByLabel("Origins")).toHaveValue(allowed.origin);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
  await page.getByLabel("Name").fill("Operator backend");
  await page.locator("#key-permission-connect").check();
  await page.locator("#key-permission-connections-read").check();
  await page.getByRole("button", { name: "Create key" }).click();
  apiKey = (await page.locator('[data-field="issued-key-text"]').textContent())!.trim();
  expect(apiKey).toMatch(/^pinbridge_dev_/);
});

test("connect() resolves with the connection id once the end user allows", async ({ page, request }) => {
  const url = await session(request, "sdk-user-1");
  await page.goto(`${allowed.origin}/?session=${encodeURIComponent(url)}`);
  const popup = await openPopup(page);
  await expect(popup).toHaveURL(/\/connect\/[^?]+\?display=popup$/);
  await popup.getByRole("button", { name: "Continue to Pinterest" }).click();
  // The popup closes itself as soon as its last page has run: listen before the
  // click, or a fast close is missed and the wait never ends.
  const closed = popup.waitForEvent("close");
  await popup.getByRole("button", { name: "Allow" }).click();
  await closed;
  await expect(page.locator("#result")).toHaveText(/^connected:\S+$/);
  const id = (await page.locator("#result").textContent())!.slice("connected:".length);
  const read = await request.get(`/v1/connections/${id}`, { headers: { Authorization: `Bearer ${apiKey}` } });
  expect(read.status()).toBe(200);
  expect(await read.json()).toMatchObject({ id, end_user_id: "sdk-user-1", state: "active" });
  const messages = await page.evaluate(() => (window as unknown as { messages: unknown[] }).messages);
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatchObject({ data: { type: "pinbridge:connect", status: "connected", connectionId: id } });
});

test("a forged result is ignored; closing the popup rejects; denying rejects as denied", async ({ page, request }) => {
  await page.goto(`${allowed.origin}/?session=${encodeURIComponent(await session(request, "sdk-user-2"))}`);
  const popup = await openPopup(page);
  // A message that looks like pinbridge's, but from the operator's own origin and window.
  await page.evaluate(() =>
    window.postMessage({ type: "pinbridge:connect", status: "connected", connectionId: "forged" }, "*"),
  );
  await expect.poll(() => page.evaluate(() => (window as unknown as { messages: unknown[] }).messages.length)).toBe(1);
  await expect(page.locator("#result")).toHaveText("pending");
  await popup.close();
  await expect(page.locator("#result")).toHaveText("error:closed");

  await page.goto(`${allowed.origin}/?session=${encodeURIComponent(await session(request, "sdk-user-3"))}`);
  const again = await openPopup(page);
  await again.getByRole("button", { name: "Continue to Pinterest" }).click();
  await again.getByRole("button", { name: "Deny" }).click();
  await expect(page.locator("#result")).toHaveText("error:denied");
});

test("a used session link rejects as expired", async ({ page, request }) => {
  const url = await session(request, "sdk-user-4");
  await page.goto(`${allowed.origin}/?session=${encodeURIComponent(url)}`);
  const popup = await openPopup(page);
  await popup.getByRole("button", { name: "Continue to Pinterest" }).click();
  await popup.getByRole("button", { name: "Allow" }).click();
  await expect(page.locator("#result")).toHaveText(/^connected:/);
  await page.reload();
  await openPopup(page);
  await expect(page.locator("#result")).toHaveText("error:expired");
});

test("a page on an origin the link does not return to hears nothing", async ({ page, request }) => {
  const url = await session(request, "sdk-user-5");
  await page.goto(`${other.origin}/?session=${encodeURIComponent(url)}`);
  const popup = await openPopup(page);
  await popup.getByRole("button", { name: "Continue to Pinterest" }).click();
  await popup.getByRole("button", { name: "Allow" }).click();
  // The popup posted to the link's origin only, and closed: here it is just closed.
  await expect(page.locator("#result")).toHaveText("error:closed");
  const messages = await page.evaluate(() => (window as unknown as { messages: unknown[] }).messages);
  expect(messages).toEqual([]);
});

test("a blocked popup falls back to the whole window and the return URL", async ({ page, request }) => {
  const url = await session(request, "sdk-user-6");
  await page.goto(`${allowed.origin}/?session=${encodeURIComponent(url)}`);
  await page.evaluate(() => {
    window.open = () => null;
  });
  await page.locator("#connect").click();
  await expect(page).toHaveURL(/\/connect\/[^?]+$/);
  await page.getByRole("button", { name: "Continue to Pinterest" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page).toHaveURL(new RegExp(`^${allowed.origin}/done\\?status=connected&connection_id=`));
});
