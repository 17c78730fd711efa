// Bundles the page scripts into dist/ (committed, embedded in the binary by formwork-web's
// assets.rs) and prints each file's size, raw and gzipped. Deterministic: no hashes, no
// timestamps, no source maps, so `build.sh --check` can compare with the committed files.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const entries = ['charts', 'kanban'];

await build({
  entryPoints: Object.fromEntries(entries.map((e) => [e, `src/${e}.js`])),
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  legalComments: 'eof',
  // Without this, ECharts keeps its development warnings and checks.
  define: { 'process.env.NODE_ENV': '"production"', __DEV__: 'false' },
  logLevel: 'warning',
});

for (const e of entries) {
  const body = readFileSync(`dist/${e}.js`);
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`dist/${e}.js  ${kb(body.length)}  gzip ${kb(gzipSync(body, { level: 9 }).length)}`);
}
