import { defineConfig } from "@playwright/test";

// pinbridge end-to-end tests: Debian's Chromium (never a downloaded browser),
// against a freshly built release server started by serve.sh.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// The accessibility specs (axe on every page, the seed's flow by keyboard) run
// after the rest, on the installation the rest leave behind: the first-start
// setup (accounts.spec.ts) needs an installation nobody has set up yet.
// `npx playwright test --project=accessibility --no-deps` runs them alone.
const accessibility = /\/(a11y|keyboard)\.spec\.ts$/;

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "default", testIgnore: accessibility },
    { name: "accessibility", testMatch: accessibility, dependencies: ["default"] },
  ],
  webServer: {
    command: "bash ./serve.sh",
    url: `${baseURL}/readyz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: { E2E_PORT: String(port) },
  },
});
