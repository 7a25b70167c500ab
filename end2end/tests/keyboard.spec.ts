import { test, expect } from "./fixtures";
import { createOperator } from "./installation";
import { blockPortalScripts, blockedWasm, expectFocused, tabTo } from "./a11y";
import type { Page } from "@playwright/test";

// The seed's whole flow with the keyboard alone (issue 18): sign in →
// Integrations → Pinterest → App id, App secret key and scopes → Save → Check
// credentials → Connections → a connect link. Nothing is clicked, checked or
// filled: focus moves only with Tab (and Shift+Tab), text is typed, Space
// ticks a box and Enter follows a link or submits. Every stop that matters is
// asserted focused, with a visible focus indicator. With JavaScript, and with
// the portal's scripts blocked (the server's HTML and its forms alone).

const appId = "1234567";
const appSecret = "sim-demo-secret";

/** First Tab of a freshly loaded page: the skip link; Enter moves focus into main. */
async function skipToMain(page: Page) {
  await page.keyboard.press("Tab");
  const skip = page.locator(".skip-link");
  await expect(skip).toHaveText(/^Skip to (main )?content$/);
  await expectFocused(skip);
  await page.keyboard.press("Enter");
  await expect(page.locator("main#main")).toBeFocused();
}

for (const js of [true, false]) {
  test.describe(js ? "with JavaScript" : "without JavaScript", () => {
    const who = {
      email: `keys-${js ? "js" : "nojs"}@keyboard.test`,
      password: "walnut harbour keys 48",
      workspace: `Keyboard Studio ${js ? "JS" : "HTML"}`,
    };
    test.beforeAll(() => createOperator(who.workspace, who.email, "owner", who.password));
    test.use({ allowedConsoleErrors: js ? [] : [blockedWasm] });
    test.beforeEach(async ({ context }) => {
      if (!js) await blockPortalScripts(context);
    });

    test("the seed's flow, from signing in to a connect link, by keyboard only", async ({ page }) => {
      // Sign in: the email field has the focus on arrival.
      await page.goto("/sign-in");
      const email = page.getByLabel("Email");
      await expect(email).toBeFocused();
      await page.keyboard.type(who.email);
      await tabTo(page, page.getByLabel("Password"), 3);
      await page.keyboard.type(who.password);
      await tabTo(page, page.getByRole("button", { name: "Sign in" }), 3);
      await page.keyboard.press("Enter");
      await expect(page).toHaveURL(/\/e\/development\/integrations$/);
      await expect(page.getByRole("heading", { name: "Integrations", level: 1 })).toBeVisible();

      // A fresh load of Integrations: skip link first, then into main, then to Pinterest.
      await page.reload();
      await skipToMain(page);
      const pinterest = page.locator('[data-integration="pinterest"]').getByRole("link", { name: "Pinterest", exact: true });
      await tabTo(page, pinterest, 10);
      await page.keyboard.press("Enter");
      await expect(page.getByRole("heading", { name: "Pinterest", level: 1 })).toBeVisible();

      // App id, App secret key, two more scopes (Space), Save (Enter).
      await tabTo(page, page.getByLabel("App id"));
      await page.keyboard.type(appId);
      await tabTo(page, page.getByLabel("App secret key"), 5);
      await page.keyboard.type(appSecret);
      for (const scope of ["boards:write", "pins:write"]) {
        const box = page.locator(`input[type=checkbox][value="${scope}"]`);
        await tabTo(page, box);
        await expect(box).not.toBeChecked();
        await page.keyboard.press("Space");
        await expect(box).toBeChecked();
      }
      await tabTo(page, page.getByRole("button", { name: "Save", exact: true }));
      await page.keyboard.press("Enter");
      await expect(page.getByText("Pinterest is configured in this environment")).toBeVisible();
      await expect(page.locator('[data-field="client_id"]')).toHaveText(appId);

      // Check credentials.
      const checkButton = page.getByRole("button", { name: "Check credentials" });
      await tabTo(page, checkButton);
      await page.keyboard.press("Enter");
      await expect(page.locator(".check-result")).toContainText("Credentials accepted");

      // Back to the navigation (before main), then Connections.
      const connections = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connections" });
      await tabTo(page, connections, 80, "Shift+Tab");
      await page.keyboard.press("Enter");
      await expect(page.getByRole("heading", { name: "Connections", level: 1 })).toBeVisible();

      // A connect link for an end user.
      await tabTo(page, page.getByLabel("End user id"));
      await page.keyboard.type("customer-keyboard");
      await tabTo(page, page.getByLabel("Display name (optional)"), 3);
      await page.keyboard.type("Alan Turing");
      await tabTo(page, page.getByRole("button", { name: "Create link" }), 5);
      await page.keyboard.press("Enter");
      const link = page.locator('[data-field="connect-link-url"]');
      await expect(link).toContainText("/connect/");
      if (js) {
        // The link's copy button is in the Tab order too.
        await tabTo(page, page.getByRole("button", { name: "Copy connect link" }));
      }
      await page.screenshot({ path: `test-results/keyboard-${js ? "js" : "nojs"}.png`, fullPage: true });
    });
  });
}
