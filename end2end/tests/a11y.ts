import { AxeBuilder } from "@axe-core/playwright";
import { expect, type BrowserContext, type Locator, type Page } from "@playwright/test";

// Accessibility checks for the end-to-end suite (issue 18): axe-core on the
// page as it is, the keyboard's focus, and pages without the portal's scripts.

/** The WCAG levels checked: A and AA of WCAG 2.0, 2.1 and 2.2. */
export const wcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/** One line per offending element: rule, impact, element and why it fails. */
type Finding = string;

/** Runs axe on the page; answers what it finds of impact "serious" or "critical". */
export async function axeFindings(page: Page): Promise<Finding[]> {
  // Legacy mode: axe runs in the page itself. The default opens a blank page
  // for every run to merge the frames' results (the portal has no frames),
  // which took most of each run's 1-3 s.
  const results = await new AxeBuilder({ page }).withTags(wcagTags).setLegacyMode().analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) =>
      v.nodes.map((node) => {
        const target = node.target.map((t) => (Array.isArray(t) ? t.join(" >>> ") : String(t))).join(" ");
        const why = (node.failureSummary ?? "").replace(/\s*\n\s*/g, " / ");
        return `${v.id} (${v.impact}): ${v.help} — at ${target}: ${why} [${v.helpUrl}]`;
      }),
    );
}

/**
 * Fails the test unless axe finds no serious or critical violation on the page
 * as it is now, listing each (rule id, impact, the element, why). Soft: the test
 * goes on to its next page, so one run reports every page that fails.
 */
export async function expectAccessible(page: Page, what: string) {
  const findings = await axeFindings(page);
  expect.soft(findings, `axe: ${what} (${new URL(page.url()).pathname})`).toEqual([]);
}

/**
 * "Without JavaScript" for axe, which needs `page.evaluate` (so no
 * `javaScriptEnabled: false`): the portal's own scripts never load. The page's
 * inline bootstrap only imports /pkg/*.js, which answers a module that does
 * nothing (an aborted import would be an uncaught rejection, which the fixture
 * counts as a page error), and its WebAssembly is never fetched.
 */
export async function blockPortalScripts(context: BrowserContext) {
  await context.route(/\/pkg\/[^?#]*\.js(\?.*)?$/, (route) =>
    route.fulfill({
      status: 200,
      contentType: "text/javascript",
      body: "export default function () { return new Promise(() => {}); }\nexport function hydrate() {}\n",
    }),
  );
  await context.route(/\/pkg\/[^?#]*\.wasm(\?.*)?$/, (route) => route.abort());
}

/** The preload of the WebAssembly that `blockPortalScripts` refuses, as Chromium logs it. */
export const blockedWasm = /net::ERR_FAILED .*\/pkg\/[^ ]*\.wasm\)$/;

/** The focused element's outline or box-shadow: what shows where focus is. */
export async function focusIndicator(locator: Locator): Promise<string> {
  return locator.evaluate((el) => {
    const style = getComputedStyle(el);
    const outline =
      style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
        ? `outline ${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}`
        : "";
    const shadow = style.boxShadow !== "none" ? `box-shadow ${style.boxShadow}` : "";
    return [outline, shadow].filter(Boolean).join("; ");
  });
}

/** Asserts `locator` has the focus, and that the focus shows (an outline or a shadow). */
export async function expectFocused(locator: Locator) {
  await expect(locator).toBeFocused();
  expect(await focusIndicator(locator), "a visible focus indicator").not.toBe("");
}

/**
 * Presses Tab until `locator` has the focus (at most `max` times); fails with
 * the stops it passed when it never does. Only the keyboard moves focus.
 */
export async function tabTo(page: Page, locator: Locator, max = 60, key = "Tab") {
  await locator.waitFor();
  const passed: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    if (await locator.evaluate((el) => el === document.activeElement).catch(() => false)) {
      await expectFocused(locator);
      return;
    }
    passed.push(
      await page.evaluate(() => {
        const el = document.activeElement;
        if (!el) return "(nothing)";
        const name = (el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 40);
        return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""} “${name}”`;
      }),
    );
  }
  throw new Error(`${max} × ${key} never reached ${locator}; focus went: ${passed.join(" → ")}`);
}
