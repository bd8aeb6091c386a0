import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import type { TeleportRunnerSource } from '../security/observed-runner.js';
import { recordingContext, SimCluster } from '../security/sim-cluster.testing.js';
import { PassthroughToolsProvider } from './passthrough-tools.provider.js';
import { PassthroughService } from './passthrough.service.js';

const provider = (
  tsh: boolean,
  tctl: boolean,
  source: TeleportRunnerSource = {
    runner: () => {
      throw new Error('not used');
    },
  },
) =>
  new PassthroughToolsProvider(
    new PassthroughService(source, {
      policy: { allowTshPassthrough: tsh, allowTctlPassthrough: tctl },
    } as never),
  );

describe('passthrough tools', () => {
  it('are absent unless enabled in the configuration', () => {
    assert.deepEqual(
      provider(false, false)
        .tools()
        .map((t) => t.name),
      [],
    );
    assert.deepEqual(
      provider(true, false)
        .tools()
        .map((t) => t.name),
      ['run_tsh_command'],
    );
    assert.deepEqual(
      provider(false, true)
        .tools()
        .map((t) => t.name),
      ['run_tctl_command'],
    );
  });

  it('run an allow-listed command with the cluster identity and refuse the rest (simulator)', async () => {
    const sim = new SimCluster();
    try {
      const p = provider(true, true, sim.source('admin'));
      const tctl = p.tools().find((t) => t.name === 'run_tctl_command');
      assert.ok(tctl);
      const { ctx, commands } = recordingContext('look at roles');
      const result = await tctl.run(
        tctl.input.parse({
          args: ['get', 'role/ops-wildcard', '--format=json'],
          reason: 'look at roles',
        }),
        ctx,
      );
      assert.match((result.structured as { stdout: string }).stdout, /"ops-wildcard"/);
      assert.equal(commands[0]?.exitCode, 0);
      const tsh = p.tools().find((t) => t.name === 'run_tsh_command');
      assert.ok(tsh);
      await assert.rejects(
        tsh.run(tsh.input.parse({ args: ['ls', '--proxy=evil:443'], reason: 'x' }), ctx),
        (e: unknown) => e instanceof AppError && e.code === 'access_denied',
      );
      assert.equal(commands.length, 1, 'nothing ran for the refused call');
    } finally {
      sim.cleanup();
    }
  });
});
