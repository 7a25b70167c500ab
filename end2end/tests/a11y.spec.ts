import { totp } from "./totp";
import { test, expect } from "./fixtures";
import { configureSimApp, createOperator, setupLink, signInAs } from "./installation";
import { blockPortalScripts, blockedWasm, expectAccessible } from "./a11y";
import type { Browser, Page } from "@playwright/test";

// Issue 18, accessibility: axe-core (WCAG 2.0, 2.1 and 2.2, A and AA) finds no
// serious or critical violation on any page of the portal, signed out and
// signed in, in the light and the dark theme, with JavaScript and without (the
// portal's scripts blocked: the server's HTML and its forms alone), nor on the
// end user's pages. A page is checked in the state that shows the most (a
// refused form's messages, a one-time secret, a filter, a chart), not again
// empty. A failure names every offending element of every page (the checks
// are soft), with axe's rule id and why.
//
// The theme is chosen with the Preferences form (a cookie of the browser), and
// the device's scheme emulated to match, which the end user's pages follow.

const stamp = `${Date.now().toString(36)}${process.pid}`;
const workspace = `Access Studio ${stamp}`;
const owner = { email: `a11y-${stamp}@access.test`, password: "linden harbour quiet 64" };
// Signs in with a code after the password: the second step's page.
const tess = { email: `a11y-totp-${stamp}@access.test`, password: "quartz linden signal 35" };

/** What the setup made: addresses of pages that show something. */
const made = {
  workspaceUrl: "", // /w/{id}
  connectionUrl: "",
  webhookUrl: "",
  invitationLink: "",
};
const dev = (rest = "") => `${made.workspaceUrl}/e/development${rest}`;
const prod = (rest = "") => `${made.workspaceUrl}/e/production${rest}`;

/** A new connect link for `endUser`, made on the Connections page of Development. */
async function connectLink(page: Page, endUser: string, displayName?: string): Promise<string> {
  await page.goto(dev("/connections"));
  await page.getByLabel("End user id").fill(endUser);
  if (displayName) await page.getByLabel("Display name (optional)").fill(displayName);
  await page.getByRole("button", { name: "Create link" }).click();
  const shown = page.locator('[data-field="connect-link-url"]');
  await expect(shown).toContainText("/connect/");
  return (await shown.textContent())!.trim();
}

/**
 * The first-start setup form, only reachable while nobody owns the
 * installation (this spec run alone, `--no-deps`): refused, its messages
 * shown, in both themes with JavaScript and in the dark without. Nothing is
 * submitted that would set pinbridge up.
 */
async function checkOpenSetup(browser: Browser) {
  let link: string;
  try {
    link = setupLink();
  } catch {
    return; // set up already (the other specs ran first)
  }
  for (const [js, colorScheme] of [[true, "light"], [true, "dark"], [false, "dark"]] as const) {
    const context = await browser.newContext({ colorScheme });
    if (!js) await blockPortalScripts(context);
    const page = await context.newPage();
    await page.goto(link);
    await expect(page.getByRole("heading", { name: "Set up pinbridge" })).toBeVisible();
    const how = `${colorScheme}, ${js ? "with" : "without"} JavaScript`;
    await page.getByRole("button", { name: "Create workspace and owner" }).click();
    await expect(page.locator("[aria-invalid=true]").first()).toBeVisible();
    await expectAccessible(page, `setup, refused (${how})`);
    await context.close();
  }
}

/** The installation the pages show: Pinterest, a connection, a key, a webhook, an invitation. */
async function setUp(browser: Browser) {
  await checkOpenSetup(browser);
  createOperator(workspace, owner.email, "owner", owner.password);
  createOperator(`Totp ${stamp}`, tess.email, "owner", tess.password);
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, owner);
  made.workspaceUrl = new URL(page.url()).pathname.replace(/\/e\/development\/integrations$/, "");

  // Pinterest in Development (the simulator's app whose redirect URI is this pinbridge's), checked.
  await configureSimApp(page);
  await page.getByRole("button", { name: "Check credentials" }).click();
  await expect(page.locator(".check-result")).toContainText("Credentials accepted");

  // An end user connects; the connection is checked once.
  const link = await connectLink(page, "customer-a11y", "Ada Lovelace");
  const endUser = await browser.newContext();
  const them = await endUser.newPage();
  await them.goto(link);
  await them.getByRole("button", { name: "Continue to Pinterest" }).click();
  await them.getByRole("button", { name: "Allow" }).click();
  await expect(them.getByRole("heading", { level: 1 })).toHaveText("Connected as @demo_pinner");
  await endUser.close();
  await page.goto(dev("/connections"));
  await page.locator("tr[data-connection]").first().getByRole("link").first().click();
  await expect(page).toHaveURL(/\/connections\/[0-9a-f-]{36}$/);
  made.connectionUrl = new URL(page.url()).pathname;
  await page.getByRole("button", { name: "Check now" }).click();
  await expect(page.locator(".notice").first()).toContainText("Checked: Active");

  // An API key.
  await page.goto(dev("/api-keys"));
  await page.getByLabel("Name").fill("Backend");
  await page.locator("#key-permission-connections-read").check();
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.locator('[data-field="issued-key-text"]')).toBeVisible();

  // A webhook endpoint (nothing listens there: its deliveries fail, which its page shows).
  await page.goto(dev("/webhooks"));
  const form = page.locator("#new-webhook");
  await form.getByLabel("URL", { exact: true }).fill("http://127.0.0.1:9/hooks");
  await form.getByLabel("Description (optional)").fill("Billing backend");
  await form.locator("#new-endpoint-event-connection-created").check();
  await form.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.locator('[data-field="issued-secret-text"]')).toBeVisible();
  made.webhookUrl = (await page.locator('[data-field="endpoint-link"]').first().getAttribute("href"))!;
  await page.goto(made.webhookUrl);
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Test event" })).toBeVisible();

  // An invitation, pending.
  await page.goto(`${made.workspaceUrl}/members`);
  await page.getByLabel("Email").fill(`invitee-${stamp}@access.test`);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  made.invitationLink = (await page.locator("#invitation-link").textContent())!.trim();
  await context.close();

  // Tess turns on two-factor sign-in.
  const second = await browser.newContext();
  const hers = await second.newPage();
  await signInAs(hers, tess);
  await hers.goto("/account");
  await hers.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  const secret = (await hers.locator(".totp-secret").innerText()).trim();
  await hers.getByLabel("Code from the app").fill(totp(secret, Date.now() / 1000));
  await hers.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  await expect(hers.locator("#recovery-codes li code")).toHaveCount(10);
  await second.close();
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(60_000);
  await setUp(browser);
});

/** Chooses `theme` with the Preferences form (checking that page too). */
async function preferences(page: Page, theme: "light" | "dark") {
  await page.goto("/preferences");
  await page.locator(`input[name="theme"][value="${theme}"]`).check();
  await page.getByRole("button", { name: "Save preferences" }).click();
  await expect(page.locator("#app")).toHaveAttribute("data-theme", theme);
  await expect(page.locator(`input[name="theme"][value="${theme}"]`)).toBeChecked();
  await expectAccessible(page, "preferences");
}

/** Opens `url` and checks it; with JavaScript, after the copy buttons (hydrated) show. */
async function check(page: Page, js: boolean, url: string, what: string) {
  await page.goto(url);
  await settled(page, js);
  await expectAccessible(page, what);
}

/** With JavaScript, waits for the page's copy buttons to be revealed by hydration. */
async function settled(page: Page, js: boolean) {
  if (!js) return;
  const copy = page.locator("button.copy-button");
  if ((await copy.count()) > 0) await expect(copy.first()).toBeVisible();
}

/** A screenshot to look at (with JavaScript only: the pages look the same without). */
async function shot(page: Page, js: boolean, name: string) {
  if (js) await page.screenshot({ path: `test-results/a11y-${name}.png`, fullPage: true });
}

const notFound = /status of 404 .*\/no\/such\/page\)$/;
const refusedEndUser = /status of 4\d\d .*\/(connect\/[^ ]*|integration-callback[^ ]*)\)$/;

// Without JavaScript a page is the same HTML, its copy buttons (islands) left
// hidden: checking it again in both themes would repeat the runs with
// JavaScript. Signed out it is checked in the light theme, signed in in the dark.
const combinations = [
  { js: true, theme: "light", signedOut: true, signedIn: true },
  { js: true, theme: "dark", signedOut: true, signedIn: true },
  { js: false, theme: "light", signedOut: true, signedIn: false },
  { js: false, theme: "dark", signedOut: false, signedIn: true },
] as const;

for (const { js, theme, signedOut, signedIn } of combinations) {
  test.describe(`${theme} theme, ${js ? "with" : "without"} JavaScript`, () => {
    test.use({
      colorScheme: theme,
      // An array of two is read as [value, options]: wrapped.
      allowedConsoleErrors: [js ? [notFound] : [notFound, blockedWasm], { scope: "test" }],
    });
    test.beforeEach(async ({ context }) => {
      if (!js) await blockPortalScripts(context);
    });

    if (signedOut) test("signed out: sign-in (and its code step), setup, invitation, preferences, 404", async ({ page }) => {
      await preferences(page, theme);
      await page.goto("/sign-in");
      await page.getByLabel("Email").fill(owner.email);
      await page.getByLabel("Password").fill("not the password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("alert")).toContainText("Email or password is wrong.");
      await expectAccessible(page, "sign-in, refused");
      await shot(page, js, `sign-in-${theme}`);

      // The second step, and a wrong code refused.
      await page.goto("/sign-in");
      await page.getByLabel("Email").fill(tess.email);
      await page.getByLabel("Password").fill(tess.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/sign-in\/code$/);
      await page.getByLabel("Code", { exact: true }).fill("000000");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.locator(".field-error, .error").first()).toBeVisible();
      await expectAccessible(page, "sign-in code, refused");

      // Setup is closed once an owner exists; a made-up token says so.
      await check(page, js, "/setup?token=not-a-token", "setup");
      await page.goto(made.invitationLink);
      await expect(page.getByRole("heading", { name: `Join ${workspace}` })).toBeVisible();
      await page.getByRole("button", { name: "Create account and join" }).click();
      await expect(page.locator("[aria-invalid=true]").first()).toBeVisible();
      await expectAccessible(page, "invitation, refused");
      await check(page, js, "/invitations/accept?token=not-a-token", "invitation, unknown");

      const response = await page.goto("/no/such/page");
      expect(response?.status()).toBe(404);
      await expectAccessible(page, "404");
    });

    if (signedIn) test("signed in: every page of the portal", async ({ page }) => {
      test.setTimeout(90_000);
      await signInAs(page, owner);
      await preferences(page, theme);
      const go = (url: string, what: string) => check(page, js, url, what);

      await go("/workspaces", "workspaces");
      await go(dev(), "overview (dashboard)");
      await shot(page, js, `overview-${theme}`);
      await go(dev("/integrations"), "integrations");
      await page.goto(dev("/integrations/pinterest"));
      await page.getByRole("button", { name: "Check credentials" }).click();
      await expect(page.locator(".check-result")).toContainText("Credentials accepted");
      await expectAccessible(page, "Pinterest, checked");
      await page.goto(prod("/integrations/pinterest"));
      await page.getByLabel("App id").fill("app-1234567");
      await page.getByLabel("App secret key").fill("sim-demo-secret");
      await page.getByRole("button", { name: "Save" }).click();
      await expect(page.locator("#pinterest-client-id-error")).toContainText("digits only");
      await expectAccessible(page, "Pinterest, refused");
      await shot(page, js, `pinterest-refused-${theme}`);

      await page.goto(dev("/connections"));
      await page.getByLabel("End user id").fill(`customer-${theme}-${js}`);
      await page.getByRole("button", { name: "Create link" }).click();
      await expect(page.locator('[data-field="connect-link-url"]')).toContainText("/connect/");
      await settled(page, js);
      await expectAccessible(page, "connections, a new connect link");
      await shot(page, js, `connections-${theme}`);
      await go(dev("/connections?state=active&q=customer"), "connections, filtered");
      await expect(page.locator("tr[data-connection]")).not.toHaveCount(0);
      await go(prod("/connections"), "connections, none");
      await go(made.connectionUrl, "a connection");

      await page.goto(dev("/api-keys"));
      await page.getByLabel("Name").fill(`Key ${theme} ${js}`);
      await page.locator("#key-permission-connections-read").check();
      await page.getByRole("button", { name: "Create key" }).click();
      await expect(page.locator('[data-field="issued-key-text"]')).toBeVisible();
      await settled(page, js);
      await expectAccessible(page, "API keys, a new key");

      await go(dev("/webhooks"), "webhooks");
      await go(made.webhookUrl, "a webhook endpoint");
      await go(dev("/agents"), "agents");
      await go(dev("/api-reference"), "API reference");
      await go(`${made.workspaceUrl}/environments`, "environments");
      await go(`${made.workspaceUrl}/environments/compare?from=development&to=production`, "environments compared");
      await go(
        `${made.workspaceUrl}/environments/promote?from=development&to=production&item=pinterest.scopes`,
        "a promotion's review",
      );
      await go(`${made.workspaceUrl}/members`, "members");
      await go(`${made.workspaceUrl}/branding`, "branding");
      await go(`${made.workspaceUrl}/audit`, "audit log");
      await go(`${made.workspaceUrl}/installation`, "installation");

      await page.goto("/account");
      const start = page.getByRole("button", { name: "Set up two-factor sign-in" });
      if (await start.isVisible()) await start.click();
      await expect(page.locator(".qr-code svg")).toBeVisible();
      await expectAccessible(page, "account, two-factor setup");

      const response = await page.goto("/no/such/page");
      expect(response?.status()).toBe(404);
      await expectAccessible(page, "404, signed in");
    });

    // The end user's pages have no script at all: once per theme is enough.
    if (js) {
      test.describe("end user", () => {
        test.use({ allowedConsoleErrors: [refusedEndUser] });

        test("the connect page and what the callback shows", async ({ page, browser }) => {
          const operator = await browser.newContext();
          const op = await operator.newPage();
          await signInAs(op, owner);
          const allowed = await connectLink(op, `end-user-${theme}-1`, "Grace Hopper");
          const denied = await connectLink(op, `end-user-${theme}-2`);
          await operator.close();

          await check(page, js, allowed, "connect page");
          await shot(page, js, `connect-${theme}`);
          await expect(page.getByRole("heading", { level: 1 })).toContainText(`${workspace} would like to connect`);
          await page.getByRole("button", { name: "Continue to Pinterest" }).click();
          await page.getByRole("button", { name: "Allow" }).click();
          await expect(page.getByRole("heading", { level: 1 })).toHaveText("Connected as @demo_pinner");
          await expectAccessible(page, "connected");
          await check(page, js, allowed, "connect link, used");

          await page.goto(denied);
          await page.getByRole("button", { name: "Continue to Pinterest" }).click();
          await page.getByRole("button", { name: "Deny" }).click();
          await expect(page.getByRole("heading", { level: 1 })).toHaveText("You did not connect Pinterest");
          await expectAccessible(page, "not connected (denied)");

          await check(page, js, "/connect/not-a-link", "connect link, unknown");
          await check(page, js, "/integration-callback?state=forged&code=x", "callback, refused");
        });
      });
    }
  });
}
