// Copies the front-end libraries that package.json pins from node_modules into web/vendor/, so the
// pages load nothing from a CDN and the api serves them as they are. Run `npm run vendor` after
// changing a version; the browser tests fail while web/vendor differs from node_modules.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Vendored file name → its source inside node_modules. */
export const VENDORED = {
  "d3.min.js": "d3/dist/d3.min.js",
  // The word cloud's layout (its standalone build: sets d3.layout.cloud beside the d3 global).
  "d3.layout.cloud.js": "d3-cloud/build/d3.layout.cloud.js",
  "plot.umd.min.js": "@observablehq/plot/dist/plot.umd.min.js",
  "qrcode.js": "qrcode-generator/dist/qrcode.js",
};

export function vendoredFiles() {
  return Object.entries(VENDORED).filter(([, source]) => source !== null);
}

function main() {
  const target = join(root, "web", "vendor");
  mkdirSync(target, { recursive: true });
  const lines = [
    "# Vendored front-end libraries",
    "",
    "Copied from npm by `npm run vendor` (scripts/vendor-web.mjs); do not edit.",
    "",
    "| file | package | version | license |",
    "|---|---|---|---|",
  ];
  for (const [file, source] of vendoredFiles()) {
    copyFileSync(join(root, "node_modules", source), join(target, file));
    const pkgName = source.startsWith("@") ? source.split("/").slice(0, 2).join("/") : source.split("/")[0];
    const pkg = JSON.parse(readFileSync(join(root, "node_modules", pkgName, "package.json"), "utf8"));
    lines.push(`| ${file} | ${pkg.name} | ${pkg.version} | ${pkg.license} |`);
  }
  writeFileSync(join(target, "README.md"), `${lines.join("\n")}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
