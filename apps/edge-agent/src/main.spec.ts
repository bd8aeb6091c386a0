// Runs the built `tmcp-agent` bin as a user would and checks what they see: help, version, and a
// usage error (exit 2, usage on stderr) for anything it does not understand.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/tmcp-agent.js', import.meta.url));
const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function runAgent(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('tmcp-agent', () => {
  for (const args of [['--help'], ['-h'], []]) {
    it(`prints help on stdout for ${JSON.stringify(args)}`, async () => {
      const out = await runAgent(args);
      assert.equal(out.code, 0);
      assert.match(out.stdout, /^Usage: tmcp-agent /);
      assert.match(out.stdout, /enroll/);
      assert.match(out.stdout, /run /);
      assert.equal(out.stderr, '');
    });
  }

  for (const flag of ['--version', '-V']) {
    it(`prints the package version for ${flag}`, async () => {
      const out = await runAgent([flag]);
      assert.equal(out.code, 0);
      assert.equal(out.stdout.trim(), version);
    });
  }

  const usageErrors: { args: string[]; message: RegExp }[] = [
    { args: ['--bogus'], message: /unknown option '--bogus'/ },
    { args: ['frobnicate'], message: /unknown command 'frobnicate'/ },
    { args: ['frobnicate', 'extra'], message: /too many arguments/ },
  ];
  for (const { args, message } of usageErrors) {
    it(`exits 2 with usage on stderr for ${JSON.stringify(args)}`, async () => {
      const out = await runAgent(args);
      assert.equal(out.code, 2);
      assert.match(out.stderr, message);
      assert.match(out.stderr, /Usage: tmcp-agent /);
      assert.equal(out.stdout, '');
    });
  }
});
