import { test, expect } from "./fixtures";
import { totp } from "./totp";
import { createOperator } from "./installation";
import type { Page } from "@playwright/test";

// Two-factor sign-in as a person sets it up: the account page, the QR code and
// key, the first code, recovery codes, then signing in with a code (JavaScript
// on) and with a recovery code (JavaScript off). The codes are computed here,
// as an authenticator app would (RFC 6238: HMAC-SHA1, 6 digits, 30 seconds).
test.describe.configure({ mode: "serial" });

const tess = { email: "tess@totp.test", password: "quartz meadow signal 58" };
const workspace = "Totp Studio";

const now = () => Math.floor(Date.now() / 1000);

async function signIn(page: Page) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(tess.email);
  await page.getByLabel("Password").fill(tess.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

let secret = "";
let recoveryCodes: string[] = [];

test.beforeAll(() => {
  createOperator(workspace, tess.email, "owner", tess.password);
});

test("an operator turns on two-factor sign-in from the account page", async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/integrations$/);
  await page.locator('summary[aria-label="Account"]').click();
  await page.getByRole("link", { name: "Account and sessions" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("tr", { hasText: "This session" })).toHaveCount(1);

  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  await expect(page.locator(".qr-code svg")).toBeVisible();
  secret = (await page.locator(".totp-secret").innerText()).trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.screenshot({ path: "test-results/two-factor-enrol.png", fullPage: true });

  await page.getByLabel("Code from the app").fill(totp(secret, now()));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  const codes = page.locator("#recovery-codes li code");
  await expect(codes).toHaveCount(10);
  recoveryCodes = await codes.allInnerTexts();
  await expect(page.getByText(/^Two-factor sign-in is on:/)).toBeVisible();
});

test("signing in asks for the code after the password", async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(/\/sign-in\/code$/);
  // The next step's code: the one that confirmed enrolment may still be current.
  await page.getByLabel("Code", { exact: true }).fill(totp(secret, now() + 30));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/w\/[0-9a-f-]+\/e\/development\/integrations$/);
});

test("without JavaScript a recovery code signs in, once", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page);
  await expect(page).toHaveURL(/\/sign-in\/code$/);
  await page.getByLabel("Code", { exact: true }).fill(recoveryCodes[0]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/integrations$/);
  await page.goto("/account");
  await expect(page.getByText("9 recovery codes left")).toBeVisible();
  await context.close();
});
