import { test as base, expect } from "@playwright/test";

// Fails a test on any browser console error or uncaught exception: hydration
// mismatches and script errors show up there. A test that expects a particular
// error (a 404 document, say) lists it in `allowedConsoleErrors`.
//
// A server function that refuses input answers 4xx with the reason, which the
// page shows next to the field; Chromium logs every such answer as an error, so
// those are expected. A 500 (a real failure) is never.
const refusedServerFunction = /status of 4\d\d .*\/api\//;
export const test = base.extend<{ allowedConsoleErrors: RegExp[]; consoleErrors: string[] }>({
  allowedConsoleErrors: [[], { option: true }],
  consoleErrors: [
    async ({ page, allowedConsoleErrors }, use) => {
      const errors: string[] = [];
      page.on("console", (msg) => {
        if (msg.type() !== "error") return;
        const text = `${msg.text()} (${msg.location().url})`;
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
