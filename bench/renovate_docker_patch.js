// Renovate's choice of a patch update for every tag of a history, with its docker versioning.
// Reads {"tags": [...]} on stdin, writes {current: chosen-or-null} on stdout.
// NODE_PATH must point to a node_modules holding `renovate` (see bench_renovate_versioning.py).
// Mirrors Renovate's lookup for the patch bucket: candidates are valid, compatible (same suffix,
// same number of release parts), greater, stable when the current tag is stable, and share the
// current major and minor; the greatest one wins.
'use strict';
const { api } = require('renovate/dist/modules/versioning/docker');

const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const groups = new Map();
for (const tag of input.tags) {
  if (!api.isValid(tag)) continue;
  const parsed = api._parse(tag);
  const key = `${parsed.suffix}\u0000${parsed.release.length}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(tag);
}
const out = {};
for (const members of groups.values()) {
  for (const current of members) {
    const stable = api.isStable(current);
    let best = null;
    for (const cand of members) {
      if (cand === current || !api.isCompatible(cand, current)) continue;
      if (stable && !api.isStable(cand)) continue;
      if (api.getMajor(cand) !== api.getMajor(current)) continue;
      if (api.getMinor(cand) !== api.getMinor(current)) continue;
      if (!api.isGreaterThan(cand, current)) continue;
      if (best === null || api.isGreaterThan(cand, best)) best = cand;
    }
    out[current] = best;
  }
}
process.stdout.write(JSON.stringify(out));
