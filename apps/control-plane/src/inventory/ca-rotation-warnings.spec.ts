import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TeleportCertAuthority } from '@tmcp/teleport';
import { caRotationWarnings } from './ca-rotation-warnings.js';

function ca(type: string, rotation?: TeleportCertAuthority['rotation']): TeleportCertAuthority {
  return {
    type,
    clusterName: 'c',
    ...(rotation === undefined ? {} : { rotation }),
    activeKeys: { ssh: 1, tls: 1, jwt: 0 },
    additionalTrustedKeys: { ssh: 0, tls: 0, jwt: 0 },
    hasPrivateKeys: false,
  };
}

const now = new Date('2026-06-01T00:00:00Z');

describe('caRotationWarnings', () => {
  const cases: [string, TeleportCertAuthority, string | undefined][] = [
    ['no rotation info', ca('user'), undefined],
    [
      'recent rotation in progress',
      ca('host', {
        state: 'in_progress',
        phase: 'update_clients',
        started: '2026-05-31T20:00:00Z',
      }),
      'info',
    ],
    [
      'stuck rotation',
      ca('host', { state: 'in_progress', phase: 'init', started: '2026-05-20T00:00:00Z' }),
      'warning',
    ],
    [
      'rotated long ago',
      ca('db', { state: 'standby', lastRotated: '2024-01-01T00:00:00Z' }),
      'warning',
    ],
    [
      'rotated recently',
      ca('db', { state: 'standby', lastRotated: '2026-01-01T00:00:00Z' }),
      undefined,
    ],
  ];
  for (const [name, input, severity] of cases) {
    it(name, () => {
      const warnings = caRotationWarnings([input], now);
      assert.equal(warnings[0]?.severity, severity);
      assert.ok(warnings.length <= 1);
    });
  }

  it('says the rotation looks stuck', () => {
    const [w] = caRotationWarnings(
      [ca('host', { state: 'in_progress', phase: 'init', started: '2026-05-20T00:00:00Z' })],
      now,
    );
    assert.match(w?.message ?? '', /looks stuck/);
  });
});
