import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import type { TeleportTool } from '@tmcp/teleport';
import type { TeleportRunnerSource } from '../security/observed-runner.js';
import { recordingContext, SimCluster } from '../security/sim-cluster.testing.js';
import { PASSTHROUGH_RULES, TCTL_GET_KINDS } from './passthrough-allow-list.js';
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

  it('every allow-listed command, with each flag it allows, runs against the simulator', async () => {
    const sim = new SimCluster();
    try {
      const p = provider(true, true, sim.source('admin'));
      // A positional each rule needs: a seeded access request; every kind `tctl get` allows.
      const positionals: Record<string, string[][]> = {
        'tsh request show': [['0193a2f1-5d5e-7b8a-9c1e-2f3a4b5c6d7e']],
        'tctl get': TCTL_GET_KINDS.map((kind) => [kind]),
      };
      const calls: { tool: TeleportTool; args: string[] }[] = [];
      for (const tool of ['tsh', 'tctl'] as const) {
        for (const rule of PASSTHROUGH_RULES[tool]) {
          for (const positional of positionals[`${tool} ${rule.words.join(' ')}`] ?? [[]]) {
            for (const flag of [undefined, ...rule.flags]) {
              calls.push({
                tool,
                args: [...rule.words, ...positional, ...(flag === undefined ? [] : [flag])],
              });
            }
          }
        }
      }
      const failures: string[] = [];
      const queue = [...calls];
      const worker = async (): Promise<void> => {
        for (let call = queue.shift(); call; call = queue.shift()) {
          const tool = p.tools().find((t) => t.name === `run_${call.tool}_command`);
          assert.ok(tool);
          const { ctx } = recordingContext('check the allow-list');
          try {
            const result = await tool.run(
              tool.input.parse({ args: call.args, reason: 'check the allow-list' }),
              ctx,
            );
            const out = result.structured as { exitCode: number; stdout: string };
            if (out.exitCode !== 0 || out.stdout === '')
              failures.push(`${call.tool} ${call.args.join(' ')}: exit ${out.exitCode}`);
          } catch (err) {
            failures.push(
              `${call.tool} ${call.args.join(' ')}: ${err instanceof Error ? err.message : String(err)}`,
            );
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      assert.deepEqual(failures, []);
      assert.ok(calls.length > 100, `${calls.length} commands`);
    } finally {
      sim.cleanup();
    }
  });
});
