// End-to-end test of the maskgit serve web page in headless Chromium, driven
// by playwright-core (no browser download: it uses the system Chromium).
// Run by serve/e2e_test.go (TestPageEndToEnd), which checks the files it writes:
//
//   node scripts/serve_e2e.cjs URL OUTDIR CHROMIUM
//
// It opens URL and checks the page: it opens on the first shipped example
// with its hole, says what to do, shows the server's defaults (composite
// included), labels fields with the API's words, clips nothing, and shows no
// result or strips before a run. It draws a stroke, sets the schedule and
// steps, submits, waits for the result and writes OUTDIR/page.png (a
// screenshot), opening.png (the image the page opened on), input.png (the
// image it sent), mask.png (the mask it sent), result.png and steps.png
// (the per-step strip shown). Then it checks an error line (422 bad_param)
// and that a new example or an upload clears the stale result (and the
// upload the hole). Needs NODE_PATH to reach
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
    await page.setViewportSize({ width: 1200, height: 640 });
    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']", { timeout: 30000 });
    const check = (ok, what) => { if (!ok) throw new Error("page check failed: " + what); };
    const visible = (sel) => page.isVisible(sel);

    // It opens on the first shipped example, says what to do and what the model expects.
    const howto = await page.textContent("#howto");
    check(/Draw the hole/.test(howto) && /Inpaint/.test(howto) && /64×64 cat faces/.test(howto), "instruction line: " + howto);
    const examples = await page.$$eval("#sample option", (os) => os.map((o) => o.value));
    check(examples[0] === "sample_000" && examples.length >= 2, "example list " + examples);
    check(await page.inputValue("#sample") === "sample_000", "opens on sample_000");
    const opening = await page.evaluate(() => document.getElementById("src").toDataURL("image/png"));
    // The composite selector with the API's values, set to the server's default.
    const health = await page.evaluate(async () => (await fetch("healthz")).json());
    const composites = await page.$$eval("#composite option", (os) => os.map((o) => o.value));
    check(composites.join() === "residual,hard,none", "composite options " + composites);
    check(await page.inputValue("#composite") === health.defaults.composite, "composite default");
    check(await page.inputValue("#total_iter") === String(health.defaults.total_iter), "total_iter default");
    for (const f of ["schedule", "total_iter", "sweet_spot", "temperature", "seed", "order", "composite", "sample", "dilate"]) {
      const label = await page.$$eval("label", (ls, f) => ls.some((l) => l.textContent.trim().startsWith(f)), f);
      check(label, "a label with the API's word " + f);
    }
    // Before a run: the result is a labelled placeholder, no step strips.
    check(!(await visible("#result")) && await visible("#placeholder") && !(await visible("#stepsPanel")), "no result before a run");
    // Nothing clipped: every control fits its panel and shows its whole text.
    const clipped = await page.evaluate(() => {
      const bad = [];
      for (const el of document.querySelectorAll(".panel input, .panel select, .panel button, .panel canvas, .panel label")) {
        if (el.offsetParent === null) continue;
        const p = el.closest(".panel").getBoundingClientRect(), r = el.getBoundingClientRect();
        if (r.left < p.left - 0.5 || r.right > p.right + 0.5 || r.top < p.top - 0.5 || r.bottom > p.bottom + 0.5) bad.push((el.id || el.tagName) + " outside its panel");
        if (el.tagName === "SELECT") {
          const g = document.createElement("canvas").getContext("2d");
          g.font = getComputedStyle(el).font;
          const w = Math.max(...[...el.options].map((o) => g.measureText(o.textContent).width));
          if (w > el.clientWidth - 16) bad.push(el.id + " clips its options");
        }
        if (el.tagName === "INPUT" && el.type === "number" && el.scrollWidth > el.clientWidth + 1) bad.push(el.id + " clips its value");
      }
      for (const p of document.querySelectorAll(".panel")) {
        const r = p.getBoundingClientRect();
        if (p.offsetParent !== null && (r.width < 40 || r.height < 40)) bad.push("a sliver panel " + r.width + "x" + r.height);
      }
      return bad;
    });
    check(clipped.length === 0, clipped.join("; "));

    await page.selectOption("#schedule", "linear");
    await page.fill("#total_iter", "4");
    await page.fill("#seed", "3");

    // A stroke across the middle of the image, added to the example's hole.
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
    check(await visible("#result") && !(await visible("#placeholder")) && await visible("#stepsPanel"), "result and strips shown after a run");
    fs.mkdirSync(out, { recursive: true });
    await page.waitForFunction(() => [...document.querySelectorAll("img")].every((i) => !i.src || i.complete));
    await page.screenshot({ path: path.join(out, "page.png"), fullPage: true });

    const urls = await page.evaluate(() => ({
      input: document.getElementById("src").toDataURL("image/png"),
      mask: document.getElementById("mask").toDataURL("image/png"),
      result: document.getElementById("result").src,
      steps: document.getElementById("steps").src,
    }));
    urls.opening = opening;
    for (const [name, dataURL] of Object.entries(urls)) {
      const m = /^data:image\/png;base64,(.*)$/.exec(dataURL);
      if (!m) throw new Error(name + " is not a PNG data URL: " + dataURL.slice(0, 60));
      fs.writeFileSync(path.join(out, name + ".png"), Buffer.from(m[1], "base64"));
    }

    // An out-of-range setting: the API's status, code and words in the error line
    // (Chromium logs the 422 answer on the console: not a page problem).
    const before = problems.length;
    await page.fill("#total_iter", "999");
    await page.click("#go");
    await page.waitForSelector("#status.error", { timeout: 30000 });
    const errText = await page.textContent("#status");
    check(/^422 bad_param: total_iter must be in 1\.\.\d+/.test(errText), "error line " + errText);
    await page.waitForTimeout(100);
    problems.splice(before, problems.length - before, ...problems.slice(before).filter((p) => !/status of 422/.test(p)));
    await page.fill("#total_iter", "4");

    // A new example clears the stale result and strips, and brings its own hole.
    await page.selectOption("#sample", "sample_001");
    await page.waitForFunction(() => /sample_001/.test(document.getElementById("status").textContent));
    check(!(await visible("#result")) && await visible("#placeholder") && !(await visible("#stepsPanel")), "result cleared on a new example");
    // An upload clears the hole too.
    await page.setInputFiles("#file", path.join(out, "opening.png"));
    await page.waitForFunction(() => /^loaded /.test(document.getElementById("status").textContent));
    const holes = await page.evaluate(() => {
      const c = document.getElementById("mask"), d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++;
      return n;
    });
    check(holes === 0 && !(await visible("#result")) && await page.inputValue("#sample") === "upload", "upload clears the hole and result (holes " + holes + ")");
    if (problems.length) throw new Error(problems.join("\n"));
    console.log("ok: " + statusText);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
