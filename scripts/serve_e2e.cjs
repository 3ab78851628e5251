// End-to-end test of the maskgit serve web page in headless Chromium, driven
// by playwright-core (no browser download: it uses the system Chromium).
// Run by serve/e2e_test.go (TestPageEndToEnd), which checks the files it writes:
//
//   node scripts/serve_e2e.cjs URL OUTDIR CHROMIUM
//
// It opens URL, draws a stroke on the image with the mouse, sets the schedule
// and steps, submits, waits for the result, and writes OUTDIR/input.png (the
// image the page sent), mask.png (the mask it sent), result.png and
// steps.png (the per-step strip shown). Needs NODE_PATH to reach
// playwright-core when it is installed outside the repository.
"use strict";
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

async function main() {
  const [url, out, exe] = process.argv.slice(2);
  if (!url || !out || !exe) throw new Error("usage: node serve_e2e.cjs URL OUTDIR CHROMIUM");
  const browser = await chromium.launch({
    executablePath: exe,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
    page.on("requestfailed", (r) => problems.push("request failed: " + r.url()));
    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']", { timeout: 30000 });

    await page.selectOption("#sample", "rings");
    await page.selectOption("#schedule", "linear");
    await page.fill("#total_iter", "4");
    await page.fill("#seed", "3");

    // A stroke across the middle of the image.
    const box = await page.locator("#view").boundingBox();
    const at = (u, v) => [box.x + u * box.width, box.y + v * box.height];
    await page.mouse.move(...at(0.25, 0.3));
    await page.mouse.down();
    for (let k = 1; k <= 10; k++) await page.mouse.move(...at(0.25 + 0.05 * k, 0.3 + 0.03 * k));
    await page.mouse.up();

    await page.click("#go");
    await page.waitForSelector("#result[data-seq='1']", { timeout: 60000 });
    const statusText = await page.textContent("#status");
    if (await page.$("#status.error")) throw new Error("page shows an error: " + statusText);

    const urls = await page.evaluate(() => ({
      input: document.getElementById("src").toDataURL("image/png"),
      mask: document.getElementById("mask").toDataURL("image/png"),
      result: document.getElementById("result").src,
      steps: document.getElementById("steps").src,
    }));
    fs.mkdirSync(out, { recursive: true });
    for (const [name, dataURL] of Object.entries(urls)) {
      const m = /^data:image\/png;base64,(.*)$/.exec(dataURL);
      if (!m) throw new Error(name + " is not a PNG data URL: " + dataURL.slice(0, 60));
      fs.writeFileSync(path.join(out, name + ".png"), Buffer.from(m[1], "base64"));
    }
    if (problems.length) throw new Error(problems.join("\n"));
    console.log("ok: " + statusText);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
