import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

// The installation serve.sh started: its binary and PINBRIDGE_* settings, so a
// test can run pinbridge's CLI against the same database, as an operator would.
type Installation = { bin: string; env: Record<string, string> };

function installation(): Installation {
  const file = path.join(__dirname, "..", ".state", "installation.json");
  return JSON.parse(readFileSync(file, "utf8"));
}

/** Runs `pinbridge <args>` against the running installation; returns stdout. */
export function pinbridge(args: string[], input?: string): string {
  const { bin, env } = installation();
  return execFileSync(bin, args, {
    env: { PATH: process.env.PATH ?? "", ...env, PINBRIDGE_LOG: "warn" },
    input: input ?? "",
    encoding: "utf8",
  });
}

/** A fresh one-time setup link (only while no owner exists). */
export function setupLink(): string {
  const out = pinbridge(["setup-link"]);
  const link = out.split(/\s+/).find((word) => word.includes("/setup?token="));
  if (!link) throw new Error(`no setup link in: ${out}`);
  return link;
}

/**
 * Creates an operator in a workspace from the shell, with a chosen password.
 * Idempotent: Playwright runs `beforeAll` again in a new worker after a failure.
 */
export function createOperator(workspace: string, email: string, role: string, password: string) {
  try {
    pinbridge(
      ["operator", "create", "--workspace", workspace, "--email", email, "--role", role, "--password-stdin"],
      `${password}\n`,
    );
  } catch (err) {
    if (!String((err as { stderr?: string }).stderr ?? "").includes("is already a member")) throw err;
  }
}

/** From the Integrations page: Pinterest configured with the simulator's app. */
export async function configureSimApp(page: Page) {
  await page.locator('[data-integration="pinterest"]').getByRole("link", { name: "Pinterest", exact: true }).click();
  await page.getByLabel("App id").fill("7654321");
  await page.getByLabel("App secret key").fill("e2e-sim-secret-01");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator('[data-field="client_id"]')).toHaveText("7654321");
}

/** Signs in as `who` and lands on the Development environment's Integrations page. */
export async function signInAs(page: Page, who: { email: string; password: string }) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/e\/development\/integrations$/);
}
