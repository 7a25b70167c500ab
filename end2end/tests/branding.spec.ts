import { deflateSync } from "node:zlib";
import { test, expect } from "./fixtures";
import { blockPortalScripts, expectAccessible } from "./a11y";
import { configureSimApp, createOperator, signInAs } from "./installation";
import type { Browser, Page } from "@playwright/test";

// Branding: an owner names the workspace for end users, picks an accent
// colour, adds help and privacy links and uploads a logo, with and without
// JavaScript; the preview and the end user's connect and callback pages wear
// it (axe-checked), and bad colours and files are refused next to their field.
test.describe.configure({ mode: "serial" });

const owner = { email: "brand@studio.test", password: "maple lantern river 58" };
test.beforeAll(() => createOperator("Brand Studio", owner.email, "owner", owner.password));

/** A PNG of `width` × `height` in one colour, made here (zlib and CRC-32). */
function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(pixels)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

async function openBranding(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Branding" }).click();
  await expect(page).toHaveURL(/\/w\/[^/]+\/branding$/);
  await expect(page.getByRole("heading", { name: "Branding", level: 1 })).toBeVisible();
}

/** A new connect link for `endUser`, from the Connections page. */
async function connectLink(page: Page, endUser: string): Promise<string> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connections" }).click();
  await page.getByLabel("End user id").fill(endUser);
  await page.getByRole("button", { name: "Create link" }).click();
  return (await page.locator('[data-field="connect-link-url"]').textContent())!.trim();
}

async function endUserConnects(browser: Browser, link: string, name: string, shot: string) {
  const theirs = await browser.newContext({ colorScheme: "dark" });
  const them = await theirs.newPage();
  await them.goto(link);
  await expect(them.getByRole("heading", { level: 1 })).toHaveText(`${name} would like to connect to your Pinterest account`);
  await expect(them.getByRole("img", { name })).toBeVisible();
  await expect(them.getByRole("link", { name: "Help" })).toHaveAttribute("href", "https://help.brand.example/pinterest");
  await expect(them.getByText("Secured by pinbridge")).toBeVisible();
  // The accent colour paints the button, in the light palette even on a dark device.
  const button = them.getByRole("button", { name: "Continue to Pinterest" });
  await expect(button).toHaveCSS("background-color", "rgb(31, 95, 191)");
  await expectAccessible(them, "branded connect page");
  await them.screenshot({ path: `test-results/branding-${shot}-connect.png`, fullPage: true });
  await button.click();
  await them.getByRole("button", { name: "Allow" }).click();
  await expect(them.getByRole("heading", { level: 1 })).toHaveText("Connected as @demo_pinner");
  await expect(them.getByText(`${name} can now work with your Pinterest account`)).toBeVisible();
  await expect(them.getByText("Secured by pinbridge")).toBeVisible();
  await expectAccessible(them, "branded callback page");
  await theirs.close();
}

for (const js of [true, false]) {
  test(`branding is set on its page and worn by the end user's pages (${js ? "with" : "without"} JavaScript)`, async ({
    browser,
  }) => {
    // "Without JavaScript": the portal's own scripts never load (axe itself
    // needs the page's JavaScript, as in a11y.spec.ts).
    const context = await browser.newContext();
    if (!js) await blockPortalScripts(context);
    const page = await context.newPage();
    await signInAs(page, owner);
    if (js) await configureSimApp(page);
    await openBranding(page);
    await expectAccessible(page, "branding, empty");

    // A colour too light to read: refused with its contrast, next to the field.
    const name = js ? "Brand Studio Live" : "Brand Studio Plain";
    await page.getByLabel("Display name").fill(name);
    await page.getByLabel("Accent colour").fill("#ffd700");
    await page.getByRole("button", { name: "Save branding" }).click();
    const accent = page.getByLabel("Accent colour");
    await expect(accent).toHaveAttribute("aria-invalid", "true");
    await expect(page.locator("#brand-accent-error")).toContainText("has a contrast of 1.");
    await expect(page.locator("#brand-accent-error")).toContainText("4.5:1");
    await expect(accent).toHaveValue("#ffd700");
    await expectAccessible(page, "branding, refused colour");

    await page.getByLabel("Display name").fill(name);
    await accent.fill("#1F5FBF");
    await page.getByLabel("Support URL").fill("https://help.brand.example/pinterest");
    await page.getByLabel("Privacy policy URL").fill("https://brand.example/privacy");
    await page.getByRole("button", { name: "Save branding" }).click();
    await expect(page.getByText("Branding saved")).toBeVisible();
    await expect(page.getByLabel("Accent colour")).toHaveValue("#1f5fbf");

    // An SVG is refused; a PNG becomes the logo.
    await page.getByLabel("Logo file").setInputFiles({
      name: "logo.svg",
      mimeType: "image/svg+xml",
      buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
    });
    await page.getByRole("button", { name: "Upload logo" }).click();
    await expect(page.locator("#brand-logo-error")).toHaveText("SVG files are not accepted: upload a PNG, JPEG or WebP image.");
    await expect(page.getByLabel("Logo file")).toHaveAttribute("aria-invalid", "true");
    await page.getByLabel("Logo file").setInputFiles({
      name: "logo.png",
      mimeType: "image/png",
      buffer: png(600, 200, js ? [200, 40, 90] : [20, 120, 60]),
    });
    await page.getByRole("button", { name: "Upload logo" }).click();
    await expect(page.getByText("Logo saved (480 × 160 pixels")).toBeVisible();

    const preview = page.locator(".brand-preview");
    await expect(preview.getByRole("img", { name })).toBeVisible();
    await expect(preview.getByText(`${name} would like to connect`)).toBeVisible();
    await expect(preview.getByText("Secured by pinbridge")).toBeVisible();
    await expect(preview.locator(".button")).toHaveCSS("background-color", "rgb(31, 95, 191)");
    await expectAccessible(page, "branding, set");
    await page.screenshot({ path: `test-results/branding-${js ? "js" : "nojs"}-page.png`, fullPage: true });

    const link = await connectLink(page, `brand-user-${js ? "js" : "nojs"}`);
    await endUserConnects(browser, link, name, js ? "js" : "nojs");
    await context.close();
  });
}
