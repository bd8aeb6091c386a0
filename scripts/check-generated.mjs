#!/usr/bin/env node
// `npm run generate:check`: regenerates the protobuf-es code from proto/ and fails when that
// changes anything under packages/proto/src/gen: a file edited by hand (committed or not), a
// stale or missing file, a leftover of a deleted .proto. The regenerated files are left in place.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const generatedDir = 'packages/proto/src/gen';

/** Every file under the generated directory, by path relative to the repository root. */
function snapshot(dir = path.join(root, generatedDir), out = new Map()) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) snapshot(full, out);
    else out.set(path.relative(root, full), readFileSync(full, 'utf8'));
  }
  return out;
}

const before = snapshot();

const generate = spawnSync('npm', ['run', 'generate', '-w', '@tmcp/proto'], {
  cwd: root,
  stdio: 'inherit',
});
if (generate.status !== 0) {
  console.error('check-generated: `npm run generate -w @tmcp/proto` failed (see above).');
  process.exit(1);
}

const status = spawnSync(
  'git',
  ['status', '--porcelain', '--untracked-files=all', '--', generatedDir],
  {
    cwd: root,
    encoding: 'utf8',
  },
);
if (status.status !== 0) {
  console.error(`check-generated: git status failed: ${status.stderr.trim()}`);
  process.exit(1);
}

const after = snapshot();
const changed = new Set(status.stdout.split('\n').filter((line) => line.trim() !== ''));
for (const [file, content] of after) {
  if (!before.has(file)) changed.add(`created  ${file}`);
  else if (before.get(file) !== content) changed.add(`changed  ${file}`);
}
for (const file of before.keys()) if (!after.has(file)) changed.add(`removed  ${file}`);

if (changed.size > 0) {
  console.error(`check-generated: regenerating changed files under ${generatedDir}:`);
  for (const line of changed) console.error(`  ${line}`);
  console.error(
    'The generated code did not match proto/ (it has now been regenerated; "git status" ' +
      'lines show what differs from the last commit). Commit the regenerated files and never ' +
      'edit src/gen by hand: change proto/ and run `npm run generate -w @tmcp/proto`.',
  );
  process.exit(1);
}
console.log(`check-generated: ${generatedDir} is up to date.`);
