import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthPreference, TeleportCertAuthority, TeleportToken } from '@tmcp/teleport';
import {
  checkCaRotations,
  checkMfa,
  checkNodes,
  checkProxies,
  checkTokens,
  checkVersionSkew,
} from './health-checks.js';

const now = new Date('2025-06-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();
const keys = { ssh: 1, tls: 1, jwt: 0 };
const ca = (rotation?: TeleportCertAuthority['rotation']): TeleportCertAuthority => ({
  type: 'host',
  clusterName: 'c',
  activeKeys: keys,
  additionalTrustedKeys: keys,
  hasPrivateKeys: false,
  ...(rotation ? { rotation } : {}),
});

describe('health checks', () => {
  it('CA rotation: in progress, stuck past the bound, or quiet', () => {
    const table: [TeleportCertAuthority, string[]][] = [
      [ca(), []],
      [ca({ state: 'standby', phase: 'standby', lastRotated: hoursAgo(100) }), []],
      [
        ca({ state: 'in_progress', phase: 'update_clients', mode: 'manual', started: hoursAgo(2) }),
        ['HC-CA-ROTATION-IN-PROGRESS medium'],
      ],
      [
        ca({
          state: 'in_progress',
          phase: 'update_servers',
          mode: 'manual',
          started: hoursAgo(72),
        }),
        ['HC-CA-ROTATION-STUCK high'],
      ],
      [
        ca({ state: 'in_progress', phase: 'init', mode: 'auto', started: hoursAgo(72) }),
        ['HC-CA-ROTATION-STUCK high'],
      ],
    ];
    for (const [input, expected] of table) {
      assert.deepEqual(
        checkCaRotations([input], { now }).map((f) => `${f.check} ${f.severity}`),
        expected,
        JSON.stringify(input.rotation),
      );
    }
    assert.equal(
      checkCaRotations([table[3]![0]], { now, rotationStuckAfterMs: 100 * 3_600_000 })[0]?.check,
      'HC-CA-ROTATION-IN-PROGRESS',
    );
  });

  it('tokens: expired, expiring within the window, fine, never expiring', () => {
    const token = (expires?: string): TeleportToken => ({
      masked: '****',
      fingerprint: 'sha256:x',
      roles: ['Node'],
      joinMethod: 'token',
      suggestedLabels: {},
      ...(expires ? { expires } : {}),
    });
    const table: [string | undefined, string[]][] = [
      [undefined, []],
      [hoursAgo(1), ['HC-TOKEN-EXPIRED info']],
      [hoursAgo(-2), ['HC-TOKEN-EXPIRING low']],
      [hoursAgo(-48), []],
    ];
    for (const [expires, expected] of table) {
      assert.deepEqual(
        checkTokens([token(expires)], { now }).map((f) => `${f.check} ${f.severity}`),
        expected,
        String(expires),
      );
    }
  });

  it('version skew against the cluster version', () => {
    const table: [string, string[]][] = [
      ['18.2.0', []],
      ['18.2.7', []],
      ['18.1.4', ['HC-VERSION-MINOR-BEHIND low']],
      ['17.4.8', ['HC-VERSION-MAJOR-BEHIND medium']],
      ['16.4.6', ['HC-VERSION-MAJOR-BEHIND high']],
      ['19.0.0', ['HC-VERSION-AHEAD high']],
      ['18.3.0', ['HC-VERSION-AHEAD high']],
    ];
    for (const [version, expected] of table) {
      assert.deepEqual(
        checkVersionSkew('18.2.0', [{ kind: 'node', name: 'n', hostname: 'h', version }]).map(
          (f) => `${f.check} ${f.severity}`,
        ),
        expected,
        version,
      );
    }
    assert.deepEqual(
      checkVersionSkew('', [{ kind: 'node', name: 'n', hostname: 'h', version: '1.0.0' }]),
      [],
    );
  });

  it('MFA settings', () => {
    const pref = (p: Partial<AuthPreference>): AuthPreference => ({
      type: 'local',
      secondFactors: [],
      labels: {},
      ...p,
    });
    const table: [Partial<AuthPreference>, string[]][] = [
      [{ secondFactor: 'on' }, []],
      [{ secondFactor: 'webauthn' }, []],
      [{ secondFactor: 'off', secondFactors: ['webauthn'] }, []],
      [{ secondFactor: 'off' }, ['HC-MFA-OFF high']],
      [{ secondFactor: 'off', type: 'oidc', allowLocalAuth: false }, ['HC-MFA-OFF medium']],
      [{ secondFactor: 'optional' }, ['HC-MFA-OPTIONAL medium']],
    ];
    for (const [p, expected] of table) {
      assert.deepEqual(
        checkMfa(pref(p)).map((f) => `${f.check} ${f.severity}`),
        expected,
        JSON.stringify(p),
      );
    }
  });

  it('no proxies is critical; offline and tunnel nodes are reported', () => {
    assert.equal(checkProxies([])[0]?.severity, 'critical');
    assert.deepEqual(
      checkProxies([{ name: 'p', hostname: 'p', addr: '', publicAddrs: [], labels: {} }]),
      [],
    );
    const node = {
      name: 'n',
      hostname: 'h',
      addr: '',
      labels: {},
      commandLabels: {},
      publicAddrs: [],
    };
    assert.deepEqual(
      checkNodes([{ ...node, useTunnel: true, expires: hoursAgo(-1) }], { now }).map(
        (f) => f.check,
      ),
      ['HC-NODE-TUNNEL-ONLY'],
    );
    assert.deepEqual(
      checkNodes([{ ...node, useTunnel: false, expires: hoursAgo(1) }], { now }).map(
        (f) => f.check,
      ),
      ['HC-NODE-OFFLINE'],
    );
  });
});
