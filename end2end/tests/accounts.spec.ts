import { test, expect } from "./fixtures";
import { setupLink } from "./installation";
import type { Page } from "@playwright/test";

// One installation, in order: first-start setup, a second workspace, an invited
// admin in another browser, and signing in with JavaScript off.
test.describe.configure({ mode: "serial" });

const owner = { name: "Olivia Owner", email: "olivia@acme.test", password: "violet ocean lantern 42" };
const admin = { name: "Adam Admin", email: "adam@acme.test", password: "granite harbor kettle 97" };
const workspace = "Acme Studio";

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("first start: the setup link creates the workspace and its owner", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByText("pinbridge has no owner yet")).toBeVisible();

  await page.goto(setupLink());
  await expect(page.getByRole("heading", { name: "Set up pinbridge" })).toBeVisible();
  await page.screenshot({ path: "test-results/setup.png", fullPage: true });

  // A weak password is refused next to its field; what was typed stays.
  await page.getByLabel("Workspace name").fill(workspace);
  await page.getByLabel("Your name").fill(owner.name);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create workspace and owner" }).click();
  await expect(page.locator("#setup-password-error")).toContainText("at least 12 characters");
  await expect(page.getByLabel("Workspace name")).toHaveValue(workspace);

  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Create workspace and owner" }).click();
  await expect(page).toHaveURL(/\/w\/[0-9a-f-]+\/e\/development\/integrations$/);
  await expect(page.getByRole("heading", { name: "Integrations" })).toBeVisible();
  const card = page.locator('[data-integration="pinterest"]');
  await expect(card).toContainText("Pinterest");
  await expect(card).toContainText("Not configured");
  await expect(page.locator(".environment-name")).toHaveText("Development");
  await page.screenshot({ path: "test-results/integrations.png", fullPage: true });

  // The link is single use.
  await page.goto("/setup?token=used-or-not");
  await expect(page.getByText("Setup is complete")).toBeVisible();
});

test("an owner creates a second workspace and switches between them", async ({ page }) => {
  await signIn(page, owner);
  await expect(page).toHaveURL(/\/integrations$/);
  await page.locator("summary", { hasText: "Workspace" }).click();
  await page.getByRole("link", { name: "All workspaces / create…" }).click();
  await expect(page).toHaveURL(/\/workspaces$/);
  await page.getByLabel("Workspace name").fill("Zenith Labs");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/e\/development\/integrations$/);
  await expect(page.locator("summary", { hasText: "Workspace" })).toContainText("Zenith Labs");

  await page.locator("summary", { hasText: "Workspace" }).click();
  await page.locator(".menu-list").getByRole("link", { name: new RegExp(workspace) }).click();
  await expect(page.locator("summary", { hasText: "Workspace" })).toContainText(workspace);

  // The brand leads home: the first workspace's first environment.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
  await page.locator(".brand").click();
  await expect(page).toHaveURL(/\/w\/[0-9a-f-]+\/e\/development\/integrations$/);
});

test("an owner invites an admin, who joins in another browser and switches environment", async ({ page, browser }) => {
  await signIn(page, owner);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Role", { exact: true }).selectOption("admin");
  await page.getByRole("button", { name: "Create invitation link" }).click();
  const link = await page.locator("#invitation-link").textContent();
  expect(link).toContain("/invitations/accept?token=");
  await expect(page.locator(`[data-invitation="${admin.email}"]`)).toContainText("Admin");
  await page.screenshot({ path: "test-results/members-invited.png", fullPage: true });

  const second = await browser.newContext();
  const adminPage = await second.newPage();
  await adminPage.goto(link!);
  await expect(adminPage.getByRole("heading", { name: `Join ${workspace}` })).toBeVisible();
  await adminPage.getByLabel("Your name").fill(admin.name);
  await adminPage.getByLabel("Choose a password").fill(admin.password);
  await adminPage.getByRole("button", { name: "Create account and join" }).click();
  await expect(adminPage).toHaveURL(/\/e\/development\/integrations$/);

  // Signs out, and in again, in that second browser.
  await adminPage.locator("summary", { hasText: admin.name }).click();
  await adminPage.getByRole("button", { name: "Sign out" }).click();
  await expect(adminPage).toHaveURL(/\/sign-in$/);
  await signIn(adminPage, admin);
  await expect(adminPage).toHaveURL(/\/e\/development\/integrations$/);

  // Switches environment from the header; the address carries it.
  await adminPage.locator("summary", { hasText: "Environment" }).click();
  await adminPage.locator(".menu-list").getByRole("link", { name: "Production" }).click();
  await expect(adminPage).toHaveURL(/\/e\/production\/integrations$/);
  await expect(adminPage.locator(".environment-name")).toHaveText("Production");
  await expect(adminPage.locator(".eyebrow")).toHaveText("Production");
  await adminPage.screenshot({ path: "test-results/admin-production.png", fullPage: true });

  // An admin configures environments but does not manage members.
  await adminPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
  await expect(adminPage.locator(`[data-member="${admin.email}"]`)).toContainText("Admin");
  await expect(adminPage.getByRole("button", { name: "Create invitation link" })).toHaveCount(0);
  await second.close();

  // The owner sees the invitation accepted, and the audit log shows it all.
  await page.reload();
  await expect(page.locator(`[data-member="${admin.email}"]`)).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page.locator('[data-action="member.invitation_accepted"]')).toContainText(admin.email);
  await page.getByLabel("Action").selectOption("session.signed_in");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/action=session.signed_in/);
  // The unfiltered rows stay until the filtered ones arrive: wait for those.
  await expect(page.locator('tbody tr:not([data-action="session.signed_in"])')).toHaveCount(0);
  await expect(page.locator('tbody tr[data-action="session.signed_in"]')).not.toHaveCount(0);
  await page.screenshot({ path: "test-results/audit.png", fullPage: true });
});

test("environments: a duplicate name is refused next to the field, a new one appears in the switcher", async ({ page }) => {
  await signIn(page, owner);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Environments" }).click();
  await page.getByLabel("Name", { exact: true }).fill("production");
  await page.getByRole("button", { name: "Add environment" }).click();
  await expect(page.locator("#new-environment-name-error")).toContainText("already has an environment with this name");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("production");

  await page.getByLabel("Name", { exact: true }).fill("Staging");
  await page.getByRole("button", { name: "Add environment" }).click();
  await expect(page.getByRole("status")).toContainText("Environment “Staging” added.");
  await expect(page.locator('[data-environment="staging"]')).toBeVisible();
  await page.locator("summary", { hasText: "Environment" }).click();
  await expect(page.locator(".menu-list").getByRole("link", { name: "Staging" })).toBeVisible();
  await page.screenshot({ path: "test-results/environments.png", fullPage: true });
});

test("signing in and switching environment work with JavaScript disabled", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/w/not-a-workspace/members");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fw%2Fnot-a-workspace%2Fmembers$/);

  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Email or password is wrong.");
  // The email is kept; the password never is.
  await expect(page.getByLabel("Email")).toHaveValue(admin.email);
  await expect(page.getByLabel("Password")).toHaveValue("");

  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/e\/development\/integrations$/);
  await page.locator("summary", { hasText: "Environment" }).click();
  await page.locator(".menu-list").getByRole("link", { name: "Production" }).click();
  await expect(page).toHaveURL(/\/e\/production\/integrations$/);
  await expect(page.locator(".environment-name")).toHaveText("Production");

  // Another workspace's address is simply not found.
  const response = await page.goto("/w/00000000-0000-7000-8000-000000000000/members");
  expect(response?.status()).toBe(404);
  await context.close();
});
