// The development accounts the README lists log in with the passwords it gives, on a stack that
// loads them as scripts/serve.sh does (DEV_ACCOUNTS=true).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, consoleLogIn, launchBrowser, startStack } from "./harness.mjs";

let stack;
let browser;
before(async () => {
  stack = await startStack("dev_login", { DEV_ACCOUNTS: "true" });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The README's table of development accounts: e-mail, password, role. */
function readmeAccounts() {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  return [...readme.matchAll(/^\| `([^`]+@example\.org)` \| `([^`]+)` \| (\w+) \|$/gm)].map((m) => m.slice(1));
}

test("the README's development accounts log in to the console with the passwords it gives", async () => {
  const accounts = readmeAccounts();
  assert.deepEqual(
    accounts.map(([, , role]) => role),
    ["admin", "analyst"],
  );
  for (const [email, password, role] of accounts) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await consoleLogIn(page, stack.baseURL, email, password);
    const me = await page.evaluate(async () => (await fetch("/api/auth/me")).json());
    assert.equal(me.user?.role ?? me.role, role, JSON.stringify(me));
    await context.close();
  }
});
