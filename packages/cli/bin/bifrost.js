#!/usr/bin/env node
// The `bifrost` command's entry point for npm's bin links (`npx bifrost`). It exists before
// the TypeScript is built, so `npm install` can link it; it then runs the built CLI.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error(`bifrost: ${fileURLToPath(main)} is missing: build the packages first (npm run build in the Bifrost repository)`);
  process.exit(1);
}
await import(main.href);
