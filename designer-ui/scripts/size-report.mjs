// Prints the gzipped size of the JavaScript a first visit loads (the entry script and the
// chunks index.html preloads) and fails the build when it passes the budget. Lazy chunks
// (flow canvas, pinyin) are listed apart.
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';

const BUDGET_KB = 350;
const dist = path.resolve(import.meta.dirname, '../dist');
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const firstLoad = new Set(
  [...html.matchAll(/(?:src|href)="\/designer\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]),
);
const gz = (file) => gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length / 1024;
let first = 0;
const lazy = [];
for (const name of readdirSync(path.join(dist, 'assets')).sort()) {
  if (!name.endsWith('.js')) continue;
  const file = `assets/${name}`;
  const size = gz(file);
  if (firstLoad.has(file)) first += size;
  else lazy.push([file, size]);
}
console.log(`first-load JS (gzip): ${first.toFixed(1)} kB (budget ${BUDGET_KB} kB)`);
for (const [file, size] of lazy) console.log(`  lazy ${file}: ${size.toFixed(1)} kB gzip`);
if (first > BUDGET_KB) {
  console.error(`first-load JS is over the ${BUDGET_KB} kB budget`);
  process.exit(1);
}
