// The auditors' console in a real browser: Debian's chromium driven by Playwright (playwright-core,
// pinned in console/package-lock.json; never a downloaded browser). On a generated country
// history served by `kezek serve` on loopback:
//   - a Portal key is refused (the page says 403), an Auditor key opens it;
//   - the hash chain's status, the charts (canvases drawn, one point a month) and the tables show
//     what the API answers; an as-of date shows the statistics of that day; an application's
//     explanation lists its changes with the family's text;
//   - a locality renamed to hostile markup is shown as text (no script runs);
//   - the page loads nothing but from its own server; no script error;
//   - the server writes the as-of checkpoints itself (--checkpoint-every);
// and the page of `kezek stats --html` opened from a file: the same figures, no request at all.
// Screenshots are kept in WORK (console.png, console-static.png): CI's artifacts.
// usage: node console_test.mjs KEZEK_BINARY WORK_DIR
import { createRequire } from "node:module";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "console", "package.json"));
const { chromium } = require("playwright-core");

const [kezek, work] = process.argv.slice(2);
let passed = 0, failed = 0;
function check(what, condition, detail = "") {
  if (condition) passed++;
  else { failed++; console.log(`FAILED: ${what} ${String(detail).slice(0, 2000)}`); }
  return condition;
}

fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
const data = path.join(work, "data");
const run = (...args) => execFileSync(kezek, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28 });
run("sample", "--country", "--applications", "3000", "--months", "14", "--output", path.join(work, "history.jsonl"));
run("append", "--data", data, "--quiet", path.join(work, "history.jsonl"));

const secret = { audit: "console-test-auditor-0123456789abcdef", portal: "console-test-portal-0123456789abcdef",
                 edu: "console-test-education-0123456789abcdef" };
const sha = (s) => createHash("sha256").update(s).digest("hex");
fs.writeFileSync(path.join(work, "keys"),
  `audit Auditor ${sha(secret.audit)}\nportal Portal ${sha(secret.portal)}\nedu EducationDepartment ${sha(secret.edu)}\n`);
const portFile = path.join(work, "port");
const log = fs.openSync(path.join(work, "serve.log"), "a");
const server = spawn(kezek, ["serve", "--data", data, "--keys", path.join(work, "keys"), "--listen", "127.0.0.1:0",
                             "--port-file", portFile, "--tick-interval", "0", "--checkpoint-every", "5000"],
                     { stdio: ["ignore", log, log] });
let browser = null;
try {
  for (let i = 0; i < 600 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 50));
  const base = `http://127.0.0.1:${fs.readFileSync(portFile, "utf8").trim()}`;
  const api = async (p, key = secret.audit, init = {}) => {
    const response = await fetch(base + p, { ...init, headers: { Authorization: `Bearer ${key}`, ...(init.headers || {}) } });
    return [response.status, await response.json()];
  };
  for (let i = 0; i < 200; i++) {
    const r = await fetch(base + "/readyz");
    if (r.status === 200) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  // The server writes the checkpoints of as-of questions itself (--checkpoint-every), off its
  // serving threads: one every 5,000 records of the journal, each whole.
  const [, ready] = [0, await (await fetch(base + "/readyz")).json()];
  const expected = Math.floor(ready.journal_records / 5000);
  let written = [];
  for (let i = 0; i < 600; i++) {
    written = fs.existsSync(path.join(data, "checkpoints"))
      ? fs.readdirSync(path.join(data, "checkpoints")).filter((f) => f.endsWith(".kzc")) : [];
    if (written.length >= expected) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  check("kezek serve wrote a checkpoint every 5,000 records", expected >= 4 && written.length === expected
        && written.includes("00000000000000005000.kzc"), `${written} of ${expected}`);
  // Hostile markup as a locality's name (the education department may rename a locality).
  const hostile = "г. Алматы <img src=x onerror=\"window.pwned=1\"></script><script>window.pwned=2</script>";
  const [, engine] = [0, await (await fetch(base + "/healthz")).json()];
  const [renamed, answer] = await api("/v1/actions", secret.edu, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ schema_version: 1, idempotency_key: "console-rename", instant_ms: engine.engine_time_ms,
                           actor: { role: "EducationDepartment" }, body_type: "UpsertLocality",
                           body: { locality: 1, name_ru: hostile, name_kk: "Алматы", region_code: "ALA" } }) });
  check("the locality renamed", renamed === 200 && answer.outcome === "Applied", JSON.stringify(answer));

  const [statsStatus, stats] = await api("/v1/audit/statistics");
  const [chainStatus, chain] = await api("/v1/audit/chain");
  check("the API: statistics and chain are 200", statsStatus === 200 && chainStatus === 200 && chain.verified, JSON.stringify(chain));
  const [refusedStatus] = await api("/v1/audit/chain", secret.portal);
  check("the API refuses a Portal key the audit routes: 403", refusedStatus === 403, refusedStatus);
  const [, past] = await api("/v1/audit/statistics?as_of=2024-06-30");
  const [, explained] = await api("/v1/applications/1000001/explain");
  const country = (s) => s.flows.find((r) => r.locality === 0 && r.queue === "general");
  const months = new Set(stats.queue.map((r) => r.month)).size;

  browser = await chromium.launch({
    executablePath: process.env.KEZEK_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [], foreign = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error" && !/status of (403|404)/.test(m.text())) errors.push(m.text()); });
  page.on("request", (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });
  page.on("dialog", (d) => { errors.push("a dialog: " + d.message()); d.dismiss(); });

  const response = await page.goto(base + "/console");
  check("GET /console is 200 HTML with a content security policy", response.status() === 200
        && response.headers()["content-type"].startsWith("text/html")
        && response.headers()["content-security-policy"].includes("default-src 'none'"), JSON.stringify(response.headers()));
  await page.fill("#key", secret.portal);
  await page.click("#login-form button");
  await page.waitForFunction(() => document.getElementById("login-error").textContent.length > 0);
  check("a Portal key: the page says 403 ReadNotAllowed", /ReadNotAllowed/.test(await page.textContent("#login-error")),
        await page.textContent("#login-error"));
  await page.fill("#key", secret.audit);
  await page.click("#login-form button");
  await page.waitForSelector("body[data-ready='true']", { timeout: 60_000 });

  const status = await page.textContent("#chain-status");
  check("the chain's status: verified, the API's record count", status.includes("verified") && status.includes(String(chain.records)), status);
  check("the chain's head is the API's", (await page.textContent("#chain-head")).includes(chain.head));
  const drawn = await page.evaluate(() => [...document.querySelectorAll(".chart canvas")].map((c) => {
    const pixels = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 3; i < pixels.length; i += 4) ink += pixels[i] > 0 ? 1 : 0;
    return { width: c.width, ink };
  }));
  check("two charts drawn, each with ink", drawn.length === 2 && drawn.every((c) => c.width > 300 && c.ink > 2000), JSON.stringify(drawn));
  check("the queue chart has a point a month", Number(await page.getAttribute("#queue-chart", "data-points")) === months);
  const waitingCell = "#flows tr[data-locality='0'][data-queue='general'] td.waiting";
  check("the country's waiting is the API's", Number(await page.textContent(waitingCell)) === country(stats).waiting,
        `${await page.textContent(waitingCell)} vs ${country(stats).waiting}`);
  const rows = await page.$$eval("#flows tbody tr", (r) => r.length);
  check("a row per locality and queue", rows === stats.flows.length, `${rows} vs ${stats.flows.length}`);
  const names = await page.$$eval("#flows tbody td:first-child", (cells) => cells.map((c) => c.textContent));
  check("the hostile name is shown as text, and ran nothing", names.includes(hostile)
        && (await page.evaluate(() => window.pwned)) === undefined && (await page.$$("#flows img")).length === 0, names.slice(0, 6));

  await page.fill("#as-of-date", "2024-06-30");
  await page.click("#as-of-form button[type='submit']");
  await page.waitForFunction(() => document.body.dataset.ready === "true" && document.getElementById("where").textContent.includes("2024-06-30"));
  check("as of 2024-06-30: the country's waiting is the API's then", Number(await page.textContent(waitingCell)) === country(past).waiting
        && country(past).waiting !== country(stats).waiting, `${await page.textContent(waitingCell)} vs ${country(past).waiting}`);
  await page.click("#as-of-now");
  await page.waitForFunction(() => document.body.dataset.ready === "true" && !document.getElementById("where").textContent.includes("2024-06-30"));

  await page.fill("#explain-number", "1000001");
  await page.click("#explain-form button");
  await page.waitForSelector("body[data-explained='1000001']");
  const changes = await page.$$eval("#explain-result .change", (c) => c.map((e) => e.textContent));
  check("the explanation lists the API's changes with the family's text", changes.length === explained.changes.length
        && changes.length > 0 && changes[changes.length - 1].includes(explained.changes[explained.changes.length - 1].text_ru),
        JSON.stringify(changes.slice(-2)));
  await page.fill("#explain-number", "999999999");
  await page.click("#explain-form button");
  await page.waitForFunction(() => document.getElementById("explain-error").textContent.includes("UnknownApplication"));
  check("an application that does not exist: the page says so", true);
  await page.screenshot({ path: path.join(work, "console.png"), fullPage: true });
  check("no script error on the page", errors.length === 0, errors.join(" | "));
  check("nothing loaded from another origin", foreign.length === 0, foreign.join(" "));

  // The static page of kezek stats --html: the same figures, from a file, with no request at all.
  const file = path.join(work, "report.html");
  run("stats", "--data", data, "--html", file);
  const fromCli = JSON.parse(run("stats", "--data", data, "--format", "json"));
  const staticPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests = [], staticErrors = [];
  staticPage.on("request", (r) => { if (!r.url().startsWith("file://")) requests.push(r.url()); });
  staticPage.on("pageerror", (e) => staticErrors.push(e.message));
  await staticPage.goto("file://" + file);
  await staticPage.waitForSelector("body[data-ready='true']");
  check("static: the country's waiting is kezek stats'", Number(await staticPage.textContent(waitingCell)) === country(fromCli).waiting);
  check("static: the chain verified to the journal's end",
        (await staticPage.textContent("#chain-status")).includes(`verified — ${fromCli.records} records`), await staticPage.textContent("#chain-status"));
  check("static: two charts drawn", (await staticPage.$$(".chart canvas")).length === 2);
  check("static: no key asked, no explain form", !(await staticPage.isVisible("#login")) && !(await staticPage.isVisible("#explain")));
  check("static: the hostile name is text", (await staticPage.$$eval("#flows tbody td:first-child", (c) => c.map((e) => e.textContent))).includes(hostile)
        && (await staticPage.evaluate(() => window.pwned)) === undefined);
  check("static: no request at all, no script error", requests.length === 0 && staticErrors.length === 0, requests.concat(staticErrors).join(" "));
  await staticPage.screenshot({ path: path.join(work, "console-static.png"), fullPage: true });
} finally {
  if (browser) await browser.close();
  server.kill("SIGTERM");
}
console.log(`console_test: ${passed} passed, ${failed} failed; screenshots in ${work}`);
process.exit(failed === 0 ? 0 : 1);
