import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PROXY_APP_BANNER,
  PROXY_DB_BANNER,
  PROXY_DB_TUNNEL_BANNER,
  PROXY_KUBE_BANNER,
} from './parsers/fixtures/teleport-md.fixtures.js';
import {
  ReadinessDetectors,
  type ReadinessDetector,
  type ReadySignal,
} from './readiness-detectors.js';

function firstSignal(detector: ReadinessDetector, output: string): ReadySignal | undefined {
  for (const line of output.split('\n')) {
    const s = detector.detect(line);
    if (s) return s;
  }
  return undefined;
}

describe('readiness detectors extract the listen address from each banner (TELEPORT.md §3)', () => {
  const table: [string, ReadinessDetector, string, ReadySignal | undefined][] = [
    ['db tunnel', ReadinessDetectors.db, PROXY_DB_TUNNEL_BANNER, { listenAddr: '127.0.0.1:62652' }],
    [
      'db certificate mode',
      ReadinessDetectors.db,
      PROXY_DB_BANNER,
      { listenAddr: '127.0.0.1:62652' },
    ],
    ['app', ReadinessDetectors.app, PROXY_APP_BANNER, { listenAddr: '127.0.0.1:61234' }],
    [
      'app with a target port',
      ReadinessDetectors.app,
      'Proxying connections to tcp-app:5432 on 127.0.0.1:61235\n',
      { listenAddr: '127.0.0.1:61235' },
    ],
    ['kube', ReadinessDetectors.kube, PROXY_KUBE_BANNER, { listenAddr: '127.0.0.1:8888' }],
    [
      'mcp',
      ReadinessDetectors.mcp,
      'Proxying connections to everything on 127.0.0.1:8888\n',
      { listenAddr: '127.0.0.1:8888' },
    ],
    ['vnet', ReadinessDetectors.vnet, 'VNet is ready.\n', {}],
    ['db banner is not an app banner', ReadinessDetectors.app, PROXY_DB_TUNNEL_BANNER, undefined],
    ['an error is not readiness', ReadinessDetectors.db, 'ERROR: access denied\n', undefined],
  ];
  for (const [label, detector, output, expected] of table) {
    it(label, () => assert.deepEqual(firstSignal(detector, output), expected));
  }

  it('stdio servers are ready on spawn', () => {
    assert.equal(ReadinessDetectors.stdio.onSpawn, true);
  });
});
