// Browser-test support: each test gets its own fresh PostgreSQL database and its own api
// process (the real binary, migrating on start, serving the real web/ folder), and a headless
// Chromium driven by playwright-core. Pages are watched for console errors and failed requests.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, beforeEach } from "node:test";
import { chromium } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const SCREENSHOTS = join(ROOT, "e2e", "screenshots");
export const PASSWORD = "correct horse battery staple";
const PG = {
  host: process.env.PGHOST ?? "127.0.0.1",
  port: process.env.PGPORT ?? "5432",
  user: process.env.PGUSER ?? "postgres",
};

function psql(sql) {
  execFileSync(
    "psql",
    ["-h", PG.host, "-p", PG.port, "-U", PG.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
    { stdio: "pipe" },
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, server, log) {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`api exited with ${server.exitCode}:\n${log.join("")}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`api did not become healthy:\n${log.join("")}`);
}

/** A fresh database and an api process on a free port (`env`: settings added to the defaults);
 *  `stop()` ends both. */
export async function startStack(name, extraEnv = {}) {
  const binary = process.env.API_BINARY ?? join(ROOT, "target", "debug", "api");
  const database = `blw_e2e_${name}_${process.pid}_${Date.now()}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  psql(`CREATE DATABASE "${database}"`);
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: `postgres://${PG.user}@${PG.host}:${PG.port}/${database}?sslmode=disable`,
    HOST: "127.0.0.1",
    PORT: String(port),
    WEB_DIR: join(ROOT, "web"),
    RUST_LOG: process.env.RUST_LOG ?? "warn",
    ...extraEnv,
  };
  const log = [];
  const baseURL = `http://127.0.0.1:${port}`;
  let server;
  const launch = async () => {
    server = spawn(binary, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
    server.stdout.on("data", (chunk) => log.push(chunk.toString()));
    server.stderr.on("data", (chunk) => log.push(chunk.toString()));
    await waitHealthy(`${baseURL}/healthz`, server, log);
  };
  const kill = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
  };
  const stop = async () => {
    await kill();
    psql(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  };
  /** `kill()` stops the api process; `launch()` starts a new one on the same port and database. */
  try {
    await launch();
  } catch (error) {
    await stop();
    throw error;
  }
  /** Makes an account through the api binary's CLI, as an operator would. */
  const createAccount = (email, role, name = email.split("@")[0]) => {
    const result = spawnSync(binary, ["accounts", "create", "--email", email, "--name", name, "--role", role], {
      env,
      input: `${PASSWORD}\n`,
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`accounts create failed: ${result.stderr}`);
  };
  return { baseURL, database, stop, kill, launch, createAccount, log };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Records console errors, uncaught exceptions and failed requests of a page (and of its popups). */
export function watch(page) {
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`exception: ${error.message}`));
  page.on("requestfailed", (request) => {
    // An EventSource or fetch cut short by navigating away is not a failure of the page.
    if (request.failure()?.errorText !== "net::ERR_ABORTED")
      problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  return problems;
}

/** Runs axe-core in the page; returns violations of impact serious or critical. */
export async function seriousA11yViolations(page) {
  // Evaluated through the DevTools protocol, not as an inline <script>: the pages' CSP forbids those.
  await page.evaluate(readFileSync(join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8"));
  // Contrast is judged as the reader finally sees it: a fade-in still running (a reveal) would
  // read as faint text. Infinite animations (a pulse) are left running.
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getComputedTiming().endTime !== Number.POSITIVE_INFINITY)
        .map((a) => a.finished.catch(() => {})),
    ),
  );
  const result = await page.evaluate(async () => axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(" "))
          .join(", ")}`,
    );
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Logs in through the api, outside the browser: the login's status, and `request(path, method,
 *  body)` sending JSON with the session cookie. */
export async function apiLogin(baseURL, email, password = PASSWORD) {
  const login = await fetch(`${baseURL}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
  const request = (path, method, body) =>
    fetch(`${baseURL}${path}`, {
      method,
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  return { status: login.status, request };
}

/** JSON from the api, outside the browser, to compare the page with. */
export async function apiJson(baseURL, path) {
  const response = await fetch(`${baseURL}${path}`);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * The hooks of a browser test file: one Chromium for the file; for every test a fresh stack
 * (then `setup(stack)`), and pages (`page(options)`, `phone()`) whose problems are collected in
 * `problems` and whose contexts close after the test.
 */
export function browserSuite(name, setup = () => {}) {
  const suite = { stack: null, browser: null, problems: [], contexts: [] };
  before(async () => {
    suite.browser = await launchBrowser();
  });
  after(async () => {
    await suite.browser?.close();
  });
  beforeEach(async () => {
    suite.problems.length = 0;
    suite.stack = await startStack(name);
    setup(suite.stack);
  });
  afterEach(async (t) => {
    // A failed test leaves what every one of its pages showed (e2e/screenshots/failed-…).
    if (!t.passed) {
      const pages = suite.contexts.flatMap((context) => context.pages());
      const name = `failed-${t.name}`.replace(/[^a-z0-9]+/gi, "-").slice(0, 80);
      await Promise.all(pages.map((p, i) => screenshot(p, `${name}-${i}`).catch(() => {})));
    }
    await Promise.all(suite.contexts.splice(0).map((context) => context.close()));
    await suite.stack?.stop();
  });
  suite.page = async (options = {}) => {
    const context = await suite.browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      ...options,
    });
    suite.contexts.push(context);
    const opened = await context.newPage();
    suite.problems.push(watch(opened));
    return opened;
  };
  suite.phone = () =>
    suite.page({ viewport: { width: 360, height: 780 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  return suite;
}

/** Logs a page into the admin console through its form, as staff would. */
export async function consoleLogIn(page, baseURL, email, password = PASSWORD) {
  await page.goto(`${baseURL}/admin`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  await page.waitForSelector("#admin-nav:not([hidden])");
}

/** Sends a participant's ballot (`answers` as the api takes them), outside the browser. */
export function postBallot(baseURL, slug, clientToken, answers) {
  return fetch(`${baseURL}/api/polls/${slug}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_token: clientToken, answers }),
  });
}
