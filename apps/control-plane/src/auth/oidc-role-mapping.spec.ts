import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rolesFromClaims } from './oidc-role-mapping.js';

const config = {
  rolesClaim: 'groups',
  roleMapping: { 'platform-admins': 'admin', sre: 'operator', devs: 'user' },
};

describe('rolesFromClaims', () => {
  const cases: [
    string,
    Record<string, unknown>,
    typeof config & { defaultRole?: string },
    string[],
  ][] = [
    ['array claim', { groups: ['sre', 'devs', 'other'] }, config, ['operator', 'user']],
    ['string claim', { groups: 'platform-admins' }, config, ['admin']],
    ['space separated', { groups: 'devs sre' }, config, ['user', 'operator']],
    ['unmapped values grant nothing', { groups: ['admin'] }, config, []],
    [
      'default role when nothing maps',
      { groups: ['x'] },
      { ...config, defaultRole: 'readonly' },
      ['readonly'],
    ],
    ['missing claim', {}, config, []],
    [
      'dotted path',
      { realm: { roles: ['sre'] } },
      { ...config, rolesClaim: 'realm.roles' },
      ['operator'],
    ],
    [
      'prototype keys are not mapping entries',
      { groups: ['constructor', '__proto__'] },
      config,
      [],
    ],
  ];
  for (const [name, payload, cfg, want] of cases) {
    it(name, () => assert.deepEqual(rolesFromClaims(payload, cfg), want));
  }
});
