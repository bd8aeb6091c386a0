// `tmcp-agent run` without --server: the address stored at enrollment is used; an explicit
// address wins; without either (not enrolled) the error says what to give.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@tmcp/config';
import { TestPki } from '@tmcp/client/testing';
import { EnrollmentStore } from './enrollment-store.js';
import { loadRunConfig } from './run-config.js';

describe('loadRunConfig', () => {
  let dir: string;
  let enrolledDir: string;
  let emptyDir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tmcp-run-config-'));
    enrolledDir = path.join(dir, 'enrolled');
    emptyDir = path.join(dir, 'empty');
    const pki = await TestPki.create();
    const { keyPem, certPem } = await pki.issueClientCert('agent-1');
    const now = new Date().toISOString();
    await new EnrollmentStore(enrolledDir).save({
      keyPem,
      certPem,
      caPem: pki.caPem,
      record: {
        agent_id: 'agent-1',
        server_address: 'cp.example.com:8444',
        enrolled_at: now,
        not_after: now,
        renew_after: now,
      },
    });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cases: {
    name: string;
    env: () => Record<string, string>;
    file?: string;
    address?: string;
    error?: RegExp;
  }[] = [
    {
      name: 'falls back to the address stored at enrollment',
      env: () => ({ TMCP_DATA_DIR: enrolledDir }),
      address: 'cp.example.com:8444',
    },
    {
      name: 'prefers --server (TMCP_SERVER__ADDRESS) over the stored address',
      env: () => ({ TMCP_DATA_DIR: enrolledDir, TMCP_SERVER__ADDRESS: 'other.example.com:9' }),
      address: 'other.example.com:9',
    },
    {
      name: 'prefers server.address from the file over the stored address',
      env: () => ({ TMCP_DATA_DIR: enrolledDir }),
      file: 'server: { address: "file.example.com:8444" }\n',
      address: 'file.example.com:8444',
    },
    {
      name: 'says to give an address or enroll when the agent is not enrolled',
      env: () => ({ TMCP_DATA_DIR: emptyDir }),
      error:
        /server\.address: is required: give --server HOST:PORT or server\.address, or enroll first/,
    },
    {
      name: 'reports every problem at once when the file has others too',
      env: () => ({ TMCP_DATA_DIR: enrolledDir, TMCP_LOG_LEVEL: 'loud' }),
      error: /2 problems[\s\S]*server\.address: is required[\s\S]*log_level/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      let file: string | undefined;
      if (c.file !== undefined) {
        file = path.join(dir, `${c.name.length}.yaml`);
        await writeFile(file, c.file);
      }
      const load = loadRunConfig({ env: c.env(), ...(file === undefined ? {} : { file }) });
      if (c.error !== undefined) {
        await assert.rejects(
          load,
          (e: unknown) => e instanceof ConfigError && c.error!.test(e.message),
        );
        return;
      }
      assert.equal((await load).server.address, c.address);
    });
  }
});
