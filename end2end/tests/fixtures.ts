import { test as base, expect } from "@playwright/test";
import type { Browser, BrowserContext } from "@playwright/test";

// Fails a test on any browser console error or uncaught exception: hydration
// mismatches and script errors show up there. A test that expects a particular
// error (a 404 document, say) lists it in `allowedConsoleErrors`.
//
// A server function that refuses input answers 4xx with the reason, which the
// page shows next to the field; Chromium logs every such answer as an error, so
// those are expected. A 500 (a real failure) is never.
const refusedServerFunction = /status of 4\d\d .*\/api\//;

// Fails a test on any Content-Security-Policy violation, in every page of every
// browser context the test opens (its own `page`, and any from
// `browser.newContext()`), with JavaScript on or off: Chromium reports each
// on the console, and pages with JavaScript also fire `securitypolicyviolation`.
// No test may allow one.
const cspConsole = /Content[ -]Security[ -]Policy/i;
const cspBinding = "__pinbridgeCspViolation";

async function watchCsp(context: BrowserContext, violations: string[]) {
  context.on("console", (msg) => {
    if (cspConsole.test(msg.text())) {
      violations.push(`${msg.text()} (${msg.location().url})`);
    }
  });
  await context.exposeBinding(cspBinding, ({ page }, detail: string) => {
    violations.push(`${detail} (${page?.url() ?? "?"})`);
  });
  await context.addInitScript((binding: string) => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as Record<string, (d: string) => void>)[binding];
      report?.(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
    });
  }, cspBinding);
}

export const test = base.extend<{
  allowedConsoleErrors: RegExp[];
  consoleErrors: string[];
  cspViolations: string[];
}>({
  allowedConsoleErrors: [[], { option: true }],
  cspViolations: [
    async ({ context, browser }, use) => {
      const violations: string[] = [];
      await watchCsp(context, violations);
      // Contexts the test opens itself are watched the same way.
      const newContext = browser.newContext;
      const watched: Browser["newContext"] = async (options) => {
        const opened = await newContext.call(browser, options);
        await watchCsp(opened, violations);
        return opened;
      };
      browser.newContext = watched;
      try {
        await use(violations);
      } finally {
        browser.newContext = newContext;
      }
      expect(violations, "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
  consoleErrors: [
    async ({ page, allowedConsoleErrors }, use) => {
      const errors: string[] = [];
      page.on("console", (msg) => {
        if (msg.type() !== "error") return;
        const text = `${msg.text()} (${msg.location().url})`;
        if (cspConsole.test(text)) return; // reported by `cspViolations`, never allowed
        if (refusedServerFunction.test(text)) return;
        if (!allowedConsoleErrors.some((re) => re.test(text))) errors.push(text);
      });
      page.on("pageerror", (err) => errors.push(String(err)));
      await use(errors);
      expect(errors, "browser console errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
