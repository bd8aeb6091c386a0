// Access requests against the simulator: alice (role requester) asks for db-admin, admin (role
// reviewer) approves, and the list shows the approved request.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { simBinDir } from '@tmcp/teleport-sim';
import { recordingContext, SIM_PROXY, SimCluster } from '../security/sim-cluster.testing.js';
import { AccessRequestToolsProvider } from './access-request-tools.provider.js';
import { AccessRequestsService } from './access-requests.service.js';

describe('access requests against the simulator', () => {
  let sim: SimCluster;
  before(() => (sim = new SimCluster()));
  after(() => sim.cleanup());

  it('create → show → review approve → list', async () => {
    const asAlice = new AccessRequestsService(sim.source('alice'));
    const asAdmin = new AccessRequestsService(sim.source('admin'));
    const created = await asAlice.create({
      roles: ['db-admin'],
      reason: 'investigate INC-77',
      ticket: 'INC-77',
      suggestedReviewers: ['admin'],
    });
    assert.equal(created.state, 'PENDING');
    assert.equal(created.user, 'alice');
    assert.deepEqual(created.roles, ['db-admin']);
    assert.equal(created.requestReason, 'investigate INC-77 [ticket INC-77]');

    const shown = await asAdmin.show({ id: created.id });
    assert.equal(shown.id, created.id);

    const outcome = await asAdmin.review({
      id: created.id,
      approve: true,
      reason: 'ok for INC-77',
    });
    assert.equal(outcome.state, 'APPROVED');
    assert.equal(outcome.effective, true);
    assert.equal(outcome.request.reviews[0]?.author, 'admin');

    const listed = await asAlice.list({ mine: true });
    assert.equal(listed.find((r) => r.id === created.id)?.state, 'APPROVED');
  });

  it('the tools record each command and refuse a request with neither roles nor resources', async () => {
    const provider = new AccessRequestToolsProvider(new AccessRequestsService(sim.source('alice')));
    const create = provider.tools().find((t) => t.name === 'create_access_request');
    assert.ok(create);
    const { ctx, commands } = recordingContext();
    await assert.rejects(
      create.run(create.input.parse({ reason: 'x' }), ctx),
      (e: unknown) => e instanceof AppError && e.code === 'bad_parameter',
    );
    const list = provider.tools().find((t) => t.name === 'list_access_requests');
    assert.ok(list);
    const result = await list.run(list.input.parse({}), ctx);
    assert.match(result.text, /access request/);
    assert.equal(commands.length, 1);
    assert.equal(commands[0]?.exitCode, 0);
  });

  it('rejects injection in ids and reasons before running anything', async () => {
    const s = new AccessRequestsService(sim.source('admin'));
    for (const id of ['--all', 'a b', '../etc', 'x\u0000y']) {
      await assert.rejects(
        s.show({ id }),
        (e: unknown) => e instanceof AppError && e.code === 'bad_parameter',
        id,
      );
    }
    await assert.rejects(
      s.review({ id: '0193a2f1-5d5e-7b8a-9c1e-2f3a4b5c6d7e', approve: true, reason: '--deny' }),
      (e: unknown) => e instanceof AppError && e.code === 'bad_parameter',
    );
  });

  it('drop_access_request reports what tsh did to the active requests', async () => {
    // alice's identity takes an approved request the way tsh does: waiting on `tsh request new`.
    const alice = sim.source('alice');
    const asAdmin = new AccessRequestsService(sim.source('admin'));
    const waiting = spawn(
      path.join(simBinDir(), 'tsh'),
      [
        '-i',
        sim.identity('alice'),
        `--proxy=${SIM_PROXY}`,
        'request',
        'new',
        '--roles=db-admin',
        '--reason=INC-90',
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: sim.dir, TELEPORT_SIM_STATE: sim.statePath } },
    );
    waiting.stdin.end();
    let printed = '';
    const id = await new Promise<string>((resolve) => {
      waiting.stdout.on('data', (c: Buffer) => {
        printed += c.toString();
        const m = /Request ID: +(\S+)[\s\S]*Waiting for request approval/.exec(printed);
        if (m?.[1]) resolve(m[1]);
      });
    });
    const exited = new Promise<number | null>((resolve) => waiting.once('exit', resolve));
    await asAdmin.review({ id, approve: true, reason: 'ok for INC-90' });
    assert.equal(await exited, 0);

    const provider = new AccessRequestToolsProvider(new AccessRequestsService(alice));
    const drop = provider.tools().find((t) => t.name === 'drop_access_request');
    assert.ok(drop);
    const { ctx, commands } = recordingContext('done with INC-90');
    const dropped = await drop.run(drop.input.parse({ id, reason: 'done with INC-90' }), ctx);
    assert.deepEqual(dropped.structured, { id, dropped: true, activeRequests: [] });
    assert.match(dropped.text, /^Dropped access request /);
    assert.deepEqual(
      commands.map((c) => c.exitCode),
      [0, 0],
    );
    // The certificate no longer carries it: dropping again changes nothing and says so.
    const again = await drop.run(drop.input.parse({ id, reason: 'done with INC-90' }), ctx);
    assert.deepEqual(again.structured, { id, dropped: false, activeRequests: [] });
    assert.match(again.text, /was not among the identity's active requests; nothing changed/);
    await assert.rejects(
      drop.run(drop.input.parse({ id: '--all', reason: 'x' }), ctx),
      (e: unknown) => e instanceof AppError && e.code === 'bad_parameter',
    );
  });

  it('an unknown request is not_found', async () => {
    await assert.rejects(
      new AccessRequestsService(sim.source('admin')).show({
        id: '00000000-0000-0000-0000-000000000000',
      }),
      (e: unknown) => e instanceof AppError && e.code === 'not_found',
    );
  });
});
