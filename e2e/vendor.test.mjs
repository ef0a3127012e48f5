// web/vendor holds exactly the npm packages package.json pins (run `npm run vendor` to refresh),
// and no page loads anything from another host.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { vendoredFiles } from "../scripts/vendor-web.mjs";
import { ROOT } from "./harness.mjs";

test("vendored libraries are byte-for-byte the installed npm packages", () => {
  for (const [file, source] of vendoredFiles()) {
    const vendored = readFileSync(join(ROOT, "web", "vendor", file));
    const installed = readFileSync(join(ROOT, "node_modules", source));
    assert.ok(vendored.equals(installed), `web/vendor/${file} differs from node_modules/${source}: run npm run vendor`);
  }
});

test("pages and scripts reference no other host", () => {
  const files = [
    ...readdirSync(join(ROOT, "web"))
      .filter((f) => f.endsWith(".html"))
      .map((f) => join(ROOT, "web", f)),
    // Scripts in folders too (the admin console's screens are in js/admin/).
    ...readdirSync(join(ROOT, "web", "js"), { recursive: true })
      .filter((f) => f.endsWith(".js"))
      .map((f) => join(ROOT, "web", "js", f)),
    join(ROOT, "web", "css", "app.css"),
  ];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const external = text.match(/(?:src|href)\s*=\s*["']?(?:https?:)?\/\/[^"'\s>]+/g) ?? [];
    assert.deepEqual(external, [], file);
  }
});
