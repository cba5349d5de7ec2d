// Renovate's dockerfile extractor over files named on stdin (JSON list of paths); prints
// {path: [{depName, currentValue, currentDigest, depType, replaceString}] | null} as JSON.
// NODE_PATH must point to a node_modules holding `renovate` (see bench_renovate_extract.py).
'use strict';
const fs = require('fs');
const { extractPackageFile } = require('renovate/dist/modules/manager/dockerfile/extract');

const paths = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = {};
for (const path of paths) {
  const content = fs.readFileSync(path, 'utf8');
  let result = null;
  try {
    result = extractPackageFile(content, path, {});
  } catch (err) {
    out[path] = { error: String(err) };
    continue;
  }
  out[path] = result === null ? [] : result.deps.map((d) => ({
    depName: d.depName ?? null,
    currentValue: d.currentValue ?? null,
    currentDigest: d.currentDigest ?? null,
    depType: d.depType ?? null,
    skipReason: d.skipReason ?? null,
    replaceString: d.replaceString ?? null,
  }));
}
process.stdout.write(JSON.stringify(out));
