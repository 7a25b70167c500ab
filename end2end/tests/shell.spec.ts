import { test, expect } from "./fixtures";
import { createOperator } from "./installation";
import type { Page } from "@playwright/test";

// An operator made from the shell, as a scripted install would.
const shell = { email: "shell@example.test", password: "quiet meadow candle 58" };
test.beforeAll(() => createOperator("Shell Tests", shell.email, "owner", shell.password));

async function openInstallation(page: Page) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(shell.email);
  await page.getByLabel("Password").fill(shell.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Installation" }).click();
  await expect(page.getByRole("heading", { name: "Installation", exact: true })).toBeVisible();
}

test("the installation page hydrates: the copy button works through wasm", async ({ page, context, baseURL }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  await openInstallation(page);
  const redirect = `${baseURL}/integration-callback`;
  await expect(page.locator("#redirect-uri")).toHaveText(redirect);

  // Hidden in the server render; only hydration reveals and wires it.
  const copy = page.getByRole("button", { name: "Copy redirect URI" });
  await expect(copy).toBeVisible();
  await copy.click();
  await expect(copy).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(redirect);
  await page.screenshot({ path: "test-results/installation.png", fullPage: true });
});

test("pages are HTML first: only a page with an island loads the wasm, and forms post", async ({ page }) => {
  const wasm: string[] = [];
  page.on("request", (r) => {
    if (/\/pkg\/.*\.(wasm|js)$/.test(r.url())) wasm.push(r.url());
  });
  await openInstallation(page);
  // The installation page has a copy button (an island): its script and wasm load.
  await expect(page.getByRole("button", { name: "Copy redirect URI" })).toBeVisible();
  expect(wasm.some((u) => u.endsWith(".wasm"))).toBe(true);
  wasm.length = 0;
  await page.locator('summary[aria-label="Account"]').click();
  await page.getByRole("link", { name: "Preferences" }).click();
  await expect(page).toHaveURL(/\/preferences$/);
  // Preferences has no island: no script beyond the page's own bootstrap.
  await page.getByLabel("Dark").check();
  await page.getByRole("button", { name: "Save preferences" }).click();
  await expect(page).toHaveURL(/\/preferences\??$/);
  await expect(page.locator("#app")).toHaveAttribute("data-theme", "dark");
  await expect(page.getByLabel("Dark")).toBeChecked();
  expect(wasm).toEqual([]);
  // Stored server-side: a fresh load shows it too.
  await page.reload();
  await expect(page.locator("#app")).toHaveAttribute("data-theme", "dark");
  await page.screenshot({ path: "test-results/preferences-dark.png", fullPage: true });
});

test("the preferences form posts and applies with JavaScript disabled", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/preferences");
  await expect(page.locator("#app")).toHaveAttribute("data-theme", "system");
  // Without wasm the copy-style buttons stay hidden; the form is plain HTML.
  await page.getByLabel("Light").check();
  await page.getByRole("button", { name: "Save preferences" }).click();
  await expect(page).toHaveURL(/\/preferences\??$/);
  await expect(page.locator("#app")).toHaveAttribute("data-theme", "light");
  await expect(page.getByLabel("Light")).toBeChecked();
  await openInstallation(page);
  await expect(page.getByRole("button", { name: "Copy redirect URI" })).toBeHidden();
  await expect(page.locator("#redirect-uri")).toContainText("/integration-callback");
  await context.close();
});

test.describe("not found", () => {
  // The document itself answers 404, which Chromium reports on the console.
  test.use({ allowedConsoleErrors: [/status of 404 .*\/no\/such\/page\)$/] });

  test("an unknown address shows the 404 page inside the portal frame", async ({ page }) => {
    const response = await page.goto("/no/such/page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Go to the home page" })).toBeVisible();
    await expect(page.locator(".topbar")).toBeVisible();
    await page.screenshot({ path: "test-results/not-found.png", fullPage: true });
  });
});

test("the portal runs under its Content-Security-Policy, and a violation is caught", async ({ page, cspViolations }) => {
  const response = await page.goto("/sign-in");
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain("unsafe-inline");
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce).toBeTruthy();
  // An injected inline script without the nonce does not run, and the
  // fixture sees the violation (then forgets it: this one was on purpose).
  await page.evaluate(() => {
    const script = document.createElement("script");
    script.textContent = "window.__injected = true";
    document.head.appendChild(script);
  });
  await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
  expect(await page.evaluate(() => (window as any).__injected)).toBeUndefined();
  expect(cspViolations.join("\n")).toContain("script-src");
  cspViolations.length = 0;
});
