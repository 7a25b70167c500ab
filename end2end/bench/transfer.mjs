// What a browser moves to show a page: Debian's Chromium, signed in with the
// session cookie given, loads the page twice in one profile. The first load
// starts from an empty cache ("first visit"), the second is a later visit in
// the same browser ("repeat visit"). Bytes are what crossed the wire for each
// response (Chromium's encodedDataLength: headers and the possibly compressed
// body), summed over every request the page made until the network was idle.
//   node end2end/bench/transfer.mjs BASE_URL PATH SESSION_COOKIE
// Prints one JSON line.
import { chromium } from "@playwright/test";

const [base, path, cookie] = process.argv.slice(2);
if (!base || !path || !cookie) {
  console.error("usage: transfer.mjs BASE_URL PATH SESSION_COOKIE");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const context = await browser.newContext();
await context.addCookies([{ name: "pinbridge_session", value: cookie, url: base }]);
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send("Network.enable");

let requests = new Map();
cdp.on("Network.requestWillBeSent", (e) => requests.set(e.requestId, { url: e.request.url, bytes: 0, cached: false }));
cdp.on("Network.requestServedFromCache", (e) => {
  const r = requests.get(e.requestId);
  if (r) r.cached = true;
});
cdp.on("Network.responseReceived", (e) => {
  const r = requests.get(e.requestId);
  if (r) {
    r.status = e.response.status;
    r.encoding = e.response.headers["content-encoding"] ?? e.response.headers["Content-Encoding"] ?? "";
    r.fromDiskCache = e.response.fromDiskCache;
  }
});
cdp.on("Network.loadingFinished", (e) => {
  const r = requests.get(e.requestId);
  if (r) r.bytes = e.encodedDataLength;
});

async function visit() {
  requests = new Map();
  // Network idle: the page, its stylesheet, script and wasm have all arrived.
  await page.goto(base + path, { waitUntil: "networkidle" });
  const list = [...requests.values()].map((r) => ({
    url: r.url.replace(base, ""),
    status: r.status,
    encoding: r.encoding,
    bytes: r.cached || r.fromDiskCache ? 0 : r.bytes,
    cached: r.cached || !!r.fromDiskCache,
  }));
  return { bytes: list.reduce((s, r) => s + r.bytes, 0), requests: list };
}

const first = await visit();
const repeat = await visit();
console.log(JSON.stringify({ first, repeat }));
await browser.close();
