import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AnomalyKind,
  DEFAULT_ANOMALY_THRESHOLDS,
  detectEventAnomalies,
  findEventStorms,
  MAX_EVIDENCE,
  type Severity,
  sortFindings,
  stormFinding,
} from './audit-anomaly-rules.js';
import type { DetectorEvent } from './audit-events.repository.js';

const T0 = Date.parse('2025-06-01T10:00:00Z');
const thresholds = { ...DEFAULT_ANOMALY_THRESHOLDS };
let sequence = 0;

/** An event `minute` minutes after T0. */
function ev(minute: number, event: string, fields: Partial<DetectorEvent> = {}): DetectorEvent {
  sequence++;
  return {
    uid: `e${sequence}`,
    time: new Date(T0 + minute * 60_000).toISOString(),
    event,
    code: null,
    user: null,
    success: null,
    ...fields,
  };
}

const failedLogin = (minute: number, user: string, remote = '203.0.113.7:51234'): DetectorEvent =>
  ev(minute, 'user.login', { user, success: false, code: 'T1000W', remote });
const times = (n: number, make: (i: number) => DetectorEvent): DetectorEvent[] =>
  Array.from({ length: n }, (_, i) => make(i));

interface Case {
  title: string;
  events: DetectorEvent[];
  /** Expected findings as kind/severity/id-prefix; [] = stays quiet. */
  expect: { kind: AnomalyKind; severity: Severity; id: string }[];
}

const cases: Case[] = [
  {
    title: 'brute force: 10 failed logins of one user within 15 min',
    events: times(10, (i) => failedLogin(i, 'alice')),
    expect: [{ kind: 'brute_force', severity: 'high', id: 'brute_force:user:alice' }],
  },
  {
    title: 'brute force: 9 failed logins stay below the threshold',
    events: times(9, (i) => failedLogin(i, 'alice')),
    expect: [],
  },
  {
    title: 'brute force: 10 failed logins spread over hours stay quiet',
    events: times(10, (i) => failedLogin(i * 20, 'alice')),
    expect: [],
  },
  {
    title: 'brute force followed by a successful login is critical',
    events: [
      ...times(10, (i) => failedLogin(i, 'alice')),
      ev(11, 'user.login', { user: 'alice', success: true, code: 'T1000I' }),
    ],
    expect: [{ kind: 'brute_force', severity: 'critical', id: 'brute_force:user:alice' }],
  },
  {
    title: 'brute force: 20 failed logins from one address (4 users)',
    events: times(20, (i) => failedLogin(i * 0.5, `user${i % 4}`, '198.51.100.9:4000')),
    expect: [{ kind: 'brute_force', severity: 'high', id: 'brute_force:address:198.51.100.9' }],
  },
  {
    title: 'password spraying: 5 users failing from one address',
    events: times(5, (i) => failedLogin(i, `user${i}`, '[2001:db8::7]:443')),
    expect: [{ kind: 'brute_force', severity: 'high', id: 'brute_force:spray:2001:db8::7' }],
  },
  {
    title: 'password spraying: 4 users stay quiet',
    events: times(4, (i) => failedLogin(i, `user${i}`, '198.51.100.9:4000')),
    expect: [],
  },
  {
    title: 'role change spike: 5 role changes within 15 min',
    events: times(5, (i) => ev(i * 2, 'role.updated', { user: 'admin', name: `team-${i}` })),
    expect: [{ kind: 'role_change_spike', severity: 'medium', id: 'role_change_spike:' }],
  },
  {
    title: 'role change spike: 4 role changes stay quiet',
    events: times(4, (i) => ev(i * 2, 'role.updated', { user: 'admin', name: `team-${i}` })),
    expect: [],
  },
  {
    title: 'user change spike: 30 user changes is high',
    events: times(30, (i) => ev(i * 0.25, 'user.update', { user: 'admin', name: `u${i}` })),
    expect: [{ kind: 'user_change_spike', severity: 'high', id: 'user_change_spike:' }],
  },
  {
    title: 'user change spike: 9 user changes stay quiet',
    events: times(9, (i) => ev(i, 'user.delete', { user: 'admin', name: `u${i}` })),
    expect: [],
  },
  {
    title: 'escalation: a role granting all verbs on all resources',
    events: [
      ev(0, 'role.created', {
        user: 'mallory',
        name: 'helper',
        spec: { allow: { rules: [{ resources: ['*'], verbs: ['*'] }], node_labels: { '*': '*' } } },
      }),
    ],
    expect: [{ kind: 'privilege_escalation', severity: 'high', id: 'privilege_escalation:role:' }],
  },
  {
    title: 'escalation: an admin-like role name without a spec is medium',
    events: [ev(0, 'role.created', { user: 'mallory', name: 'cluster-admin' })],
    expect: [
      { kind: 'privilege_escalation', severity: 'medium', id: 'privilege_escalation:role:' },
    ],
  },
  {
    title: 'escalation: an ordinary role stays quiet',
    events: [
      ev(0, 'role.created', {
        user: 'admin',
        name: 'dev',
        spec: { allow: { logins: ['ubuntu'], node_labels: { env: 'dev' } } },
      }),
    ],
    expect: [],
  },
  {
    title: 'escalation: a user created with the editor role',
    events: [ev(0, 'user.create', { user: 'admin', name: 'eve', roles: ['editor'] })],
    expect: [
      { kind: 'privilege_escalation', severity: 'high', id: 'privilege_escalation:user:eve:' },
    ],
  },
  {
    title: 'escalation: user.update adding a privileged role to a known user',
    events: [
      ev(0, 'user.create', { user: 'admin', name: 'eve', roles: ['access'] }),
      ev(5, 'user.update', { user: 'admin', name: 'eve', roles: ['access', 'editor'] }),
    ],
    expect: [
      { kind: 'privilege_escalation', severity: 'high', id: 'privilege_escalation:user:eve:' },
    ],
  },
  {
    title: 'escalation: user.update adding an ordinary role is low',
    events: [
      ev(0, 'user.create', { user: 'admin', name: 'eve', roles: ['access'] }),
      ev(5, 'user.update', { user: 'admin', name: 'eve', roles: ['access', 'auditor'] }),
    ],
    expect: [
      { kind: 'privilege_escalation', severity: 'low', id: 'privilege_escalation:user:eve:' },
    ],
  },
  {
    title: 'escalation: a user granting themselves a privileged role is critical',
    events: [
      ev(0, 'user.update', { user: 'mallory', name: 'mallory', roles: ['access', 'editor'] }),
    ],
    expect: [
      {
        kind: 'privilege_escalation',
        severity: 'critical',
        id: 'privilege_escalation:user:mallory:',
      },
    ],
  },
  {
    title: 'escalation: user.update with unchanged ordinary roles stays quiet',
    events: [
      ev(0, 'user.create', { user: 'admin', name: 'eve', roles: ['access'] }),
      ev(5, 'user.update', { user: 'admin', name: 'eve', roles: ['access'] }),
    ],
    expect: [],
  },
  {
    title: 'an access request approved by its requester',
    events: [
      ev(0, 'access_request.create', {
        user: 'bob',
        requestId: 'r1',
        roles: ['dba'],
        state: 'PENDING',
      }),
      ev(1, 'access_request.review', {
        user: 'bob',
        reviewer: 'bob',
        requestId: 'r1',
        proposedState: 'APPROVED',
      }),
    ],
    expect: [
      { kind: 'self_approved_request', severity: 'critical', id: 'self_approved_request:r1' },
    ],
  },
  {
    title: 'a self-approval through access_request.update (updated_by)',
    events: [
      ev(0, 'access_request.create', { user: 'bob', requestId: 'r1', state: 'PENDING' }),
      ev(1, 'access_request.update', {
        user: 'bob',
        updatedBy: 'bob',
        requestId: 'r1',
        state: 'APPROVED',
      }),
    ],
    expect: [
      { kind: 'self_approved_request', severity: 'critical', id: 'self_approved_request:r1' },
    ],
  },
  {
    title: 'an access request approved by someone else stays quiet',
    events: [
      ev(0, 'access_request.create', { user: 'bob', requestId: 'r1', state: 'PENDING' }),
      ev(1, 'access_request.update', {
        user: 'bob',
        updatedBy: 'alice',
        requestId: 'r1',
        state: 'APPROVED',
      }),
    ],
    expect: [],
  },
  {
    title: 'three denied access requests, then an approval',
    events: [
      ...times(4, (i) =>
        ev(i, 'access_request.create', { user: 'bob', requestId: `r${i}`, roles: ['dba'] }),
      ),
      ...times(3, (i) =>
        ev(10 + i, 'access_request.review', {
          user: 'alice',
          reviewer: 'alice',
          requestId: `r${i}`,
          proposedState: 'DENIED',
        }),
      ),
      ev(20, 'access_request.review', {
        user: 'carol',
        reviewer: 'carol',
        requestId: 'r3',
        proposedState: 'APPROVED',
      }),
    ],
    expect: [{ kind: 'denied_then_approved', severity: 'high', id: 'denied_then_approved:bob:r3' }],
  },
  {
    title: 'two denied access requests, then an approval, stay quiet',
    events: [
      ...times(3, (i) => ev(i, 'access_request.create', { user: 'bob', requestId: `r${i}` })),
      ...times(2, (i) =>
        ev(10 + i, 'access_request.update', {
          updatedBy: 'alice',
          requestId: `r${i}`,
          state: 'DENIED',
        }),
      ),
      ev(20, 'access_request.update', { updatedBy: 'carol', requestId: 'r2', state: 'APPROVED' }),
    ],
    expect: [],
  },
  {
    title: 'an MCP tool refused, then allowed for the same user',
    events: [
      ev(0, 'mcp.session.request', {
        user: 'ai-user',
        app: 'fs',
        tool: 'write_file',
        success: false,
        code: 'TMCP003E',
      }),
      ev(1, 'mcp.session.request', {
        user: 'ai-user',
        app: 'fs',
        tool: 'write_file',
        success: false,
        code: 'TMCP003E',
      }),
      ev(30, 'mcp.session.request', {
        user: 'ai-user',
        app: 'fs',
        tool: 'write_file',
        success: true,
        code: 'TMCP003I',
      }),
    ],
    expect: [
      {
        kind: 'mcp_denied_then_allowed',
        severity: 'medium',
        id: 'mcp_denied_then_allowed:ai-user:fs:write_file:',
      },
    ],
  },
  {
    title: 'an MCP tool allowed, then refused, stays quiet',
    events: [
      ev(0, 'mcp.session.request', {
        user: 'ai-user',
        app: 'fs',
        tool: 'write_file',
        success: true,
      }),
      ev(1, 'mcp.session.request', {
        user: 'ai-user',
        app: 'fs',
        tool: 'write_file',
        success: false,
      }),
      ev(2, 'mcp.session.request', { user: 'other', app: 'fs', tool: 'write_file', success: true }),
    ],
    expect: [],
  },
];

describe('detectEventAnomalies', () => {
  for (const { title, events, expect } of cases) {
    it(title, () => {
      const findings = detectEventAnomalies(events, thresholds);
      assert.deepEqual(
        findings.map((f) => ({ kind: f.kind, severity: f.severity })),
        expect.map(({ kind, severity }) => ({ kind, severity })),
        JSON.stringify(findings.map((f) => f.summary)),
      );
      for (const [i, finding] of findings.entries()) {
        assert.ok(finding.id.startsWith(expect[i]?.id ?? '?'), `id ${finding.id}`);
        assert.ok(finding.evidence.length > 0, 'evidence present');
        assert.ok(finding.evidence.length <= MAX_EVIDENCE);
        const uids = new Set(events.map((e) => e.uid));
        assert.ok(
          finding.evidence.every((e) => uids.has(e.uid)),
          'evidence comes from the input',
        );
        assert.ok(finding.summary.length > 0);
      }
    });
  }

  it('bounds the evidence and never exposes detector-only fields', () => {
    const events = times(50, (i) => failedLogin(i * 0.1, 'alice'));
    const [finding] = detectEventAnomalies(events, thresholds);
    assert.ok(finding);
    assert.equal(finding.evidence.length, MAX_EVIDENCE);
    assert.equal(finding.counts.failedLoginsInBurst, 50);
    const role = ev(0, 'role.created', {
      user: 'm',
      name: 'x',
      spec: { allow: { rules: [{ resources: '*', verbs: '*' }] } },
    });
    const [roleFinding] = detectEventAnomalies([role], thresholds);
    assert.ok(roleFinding);
    assert.ok(!('spec' in (roleFinding.evidence[0] ?? {})));
  });

  it('honours custom thresholds', () => {
    const events = times(3, (i) => failedLogin(i, 'alice'));
    assert.equal(detectEventAnomalies(events, thresholds).length, 0);
    assert.equal(detectEventAnomalies(events, { ...thresholds, failedLoginsPerUser: 3 }).length, 1);
  });

  it('sorts findings most severe first', () => {
    const findings = sortFindings(
      detectEventAnomalies(
        [
          ev(0, 'role.created', { user: 'm', name: 'super-admin' }),
          ev(1, 'access_request.create', { user: 'bob', requestId: 'r9' }),
          ev(2, 'access_request.review', {
            reviewer: 'bob',
            requestId: 'r9',
            proposedState: 'approved',
          }),
        ],
        thresholds,
      ),
    );
    assert.deepEqual(
      findings.map((f) => f.severity),
      ['critical', 'medium'],
    );
  });
});

describe('findEventStorms', () => {
  const window = { from: new Date(T0), to: new Date(T0 + 3_600_000) };
  const stormCases: {
    title: string;
    count: number;
    total: number;
    expect: 'medium' | 'high' | undefined;
  }[] = [
    {
      title: 'a bucket far above a quiet baseline',
      count: 150,
      total: 150 + 11 * 2,
      expect: 'medium',
    },
    { title: 'a steady high rate is not a storm', count: 150, total: 150 * 12, expect: undefined },
    {
      title: 'above the absolute threshold whatever the baseline',
      count: 1000,
      total: 12_000,
      expect: 'high',
    },
    { title: 'below the minimum count', count: 99, total: 99, expect: undefined },
  ];
  for (const { title, count, total, expect } of stormCases) {
    it(title, () => {
      const storms = findEventStorms(
        {
          window,
          buckets: [{ event: 'user.login', bucket: 3, count }],
          totals: new Map([['user.login', total]]),
        },
        thresholds,
      );
      if (expect === undefined) {
        assert.deepEqual(storms, []);
        return;
      }
      assert.equal(storms.length, 1);
      const [storm] = storms;
      assert.ok(storm);
      assert.equal(storm.bucketStart.toISOString(), '2025-06-01T10:15:00.000Z');
      assert.equal(storm.bucketEnd.toISOString(), '2025-06-01T10:20:00.000Z');
      const sample = ev(16, 'user.login', { user: 'alice' });
      const finding = stormFinding(storm, thresholds, [sample]);
      assert.equal(finding.kind, 'event_storm');
      assert.equal(finding.severity, expect);
      assert.equal(finding.id, 'event_storm:user.login:2025-06-01T10:15:00.000Z');
      assert.equal(finding.counts.events, count);
      assert.deepEqual(
        finding.evidence.map((e) => e.uid),
        [sample.uid],
      );
      assert.match(finding.summary, new RegExp(`^${count} "user.login" events in 5 min`));
    });
  }
});
