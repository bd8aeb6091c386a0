#!/usr/bin/env node
// Runs the project's tests with node's own test runner and ends with one summary line the CI
// reads ("N passed, N failed, N skipped"). Without arguments it builds everything (turbo caches)
// and runs every workspace; with directories it runs only the compiled tests found under them.
//
// Test files are compiled TypeScript: `*.spec.js` (unit and integration, beside the code) and
// `*.e2e.js` (end-to-end, under test/). Each file runs in its own process.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';
import { ensureInfra } from './infra.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const filter = process.env.TMCP_TEST_FILTER; // substring of a test file path

function listTests(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) listTests(full, out);
    else if (/\.(spec|e2e)\.js$/.test(entry)) out.push(full);
  }
  return out;
}

function workspaceDirs() {
  const dirs = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(path.join(root, group))) dirs.push(path.join(root, group, name));
  }
  dirs.push(path.join(root, 'test'));
  return dirs;
}

let dirs;
if (args.length === 0) {
  if (!existsSync(path.join(root, 'node_modules'))) {
    const ci = spawnSync('npm', ['ci'], { cwd: root, stdio: 'inherit' });
    if (ci.status !== 0) process.exit(ci.status ?? 1);
  }
  const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error('build failed: tests not run');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  dirs = workspaceDirs();
} else {
  dirs = args.map((a) => path.resolve(a));
}

let files = dirs.flatMap((d) => listTests(path.join(d, 'dist')));
if (filter) files = files.filter((f) => f.includes(filter));
if (files.length === 0) {
  console.error(`no test files found under ${dirs.join(', ')} (did the build run?)`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

await ensureInfra();

const concurrency = Number(process.env.TMCP_TEST_CONCURRENCY ?? Math.max(2, cpus().length));
const counts = { passed: 0, failed: 0, skipped: 0 };
const stream = run({ files, concurrency, timeout: 10 * 60_000 });
stream.on('test:pass', (e) => {
  if (e.details?.type === 'suite') return;
  if (e.skip || e.todo) counts.skipped++;
  else counts.passed++;
});
stream.on('test:fail', (e) => {
  if (e.details?.type === 'suite' && e.details?.error?.failureType === 'subtestsFailed') return;
  counts.failed++;
});
stream.compose(spec).pipe(process.stdout);
await new Promise((resolve) => stream.once('end', resolve));
// Let the reporter flush before the last line.
await new Promise((resolve) => setImmediate(resolve));
const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
console.log(`${counts.passed} passed, ${counts.failed} failed${skipped}`);
process.exitCode = counts.failed > 0 ? 1 : 0;
