// Health check, RBAC scan and MCP access diagnosis against the simulator's seeded cluster (real
// tsh/tctl child processes), through the services and through the tool definitions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import { systemClock } from '../common/clock.js';
import { HealthCheckService } from './health-check.service.js';
import { McpAccessDiagnosisService } from './mcp-access-diagnosis.service.js';
import { RbacScanService } from './rbac-scan.service.js';
import { SecurityToolsProvider } from './security-tools.provider.js';
import { recordingContext, SimCluster } from './sim-cluster.testing.js';

describe('security services against the simulator', () => {
  let sim: SimCluster;
  let tools: SecurityToolsProvider;
  before(() => {
    sim = new SimCluster();
    const source = sim.source('admin');
    tools = new SecurityToolsProvider(
      new HealthCheckService(source, systemClock),
      new RbacScanService(source),
      new McpAccessDiagnosisService(source),
    );
  });
  after(() => sim.cleanup());

  const tool = (name: string) => {
    const t = tools.tools().find((x) => x.name === name);
    assert.ok(t, `tool ${name}`);
    return t;
  };

  it('run_health_check finds the in-progress host CA rotation and the version skew, with progress', async () => {
    const { ctx, progress, commands } = recordingContext(undefined);
    const t = tool('run_health_check');
    const result = await t.run(t.input.parse({}), ctx);
    const report = result.structured as {
      version: string;
      findings: { check: string; severity: string; resource?: string }[];
    };
    assert.equal(report.version, '18.2.0');
    const checks = report.findings.map((f) => `${f.check} ${f.severity} ${f.resource ?? ''}`);
    assert.ok(
      checks.includes('HC-CA-ROTATION-IN-PROGRESS medium cert_authority/host/teleport.example.com'),
      checks.join('\n'),
    );
    assert.ok(
      checks.includes('HC-VERSION-MAJOR-BEHIND high node/edge-tunnel-01'),
      checks.join('\n'),
    );
    assert.ok(checks.includes('HC-VERSION-MAJOR-BEHIND medium node/db-jump-01'));
    assert.ok(checks.includes('HC-VERSION-MINOR-BEHIND low node/web-prod-01'));
    assert.ok(checks.includes('HC-NODE-TUNNEL-ONLY info node/edge-tunnel-01'));
    assert.ok(!checks.some((c) => c.startsWith('HC-MFA')), 'seed has MFA on');
    assert.deepEqual(
      progress.map((p) => p.progress),
      [1, 2, 3, 4, 5, 6, 7],
    );
    assert.ok(progress.every((p) => p.total === 7));
    assert.equal(commands.length, 6);
    assert.ok(commands.every((c) => c.exitCode === 0));
    // Token names are join secrets: the recorded stdout of `tokens ls` is never the raw output.
    assert.ok(!commands.some((c) => c.stdout?.includes('4f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d')));
    assert.ok(!result.text.includes('4f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d'));
    assert.match(result.text, /HC-CA-ROTATION-IN-PROGRESS/);
  });

  it('scan_rbac on the seed reports the wildcard and the privileged roles', async () => {
    const { ctx } = recordingContext(undefined);
    const t = tool('scan_rbac');
    const result = await t.run(t.input.parse({}), ctx);
    const findings = (
      result.structured as {
        findings: { id: string; severity: string; resource: string; evidence: string }[];
      }
    ).findings;
    const has = (id: string, resource: string, severity?: string) =>
      findings.some(
        (f) =>
          f.id === id &&
          f.resource === resource &&
          (severity === undefined || f.severity === severity),
      );
    assert.ok(has('RBAC-001', 'role/ops-wildcard', 'medium'));
    assert.ok(has('RBAC-002', 'role/ops-wildcard', 'high'));
    assert.ok(has('RBAC-003', 'role/ops-wildcard', 'critical'));
    assert.ok(has('RBAC-003', 'role/break-glass', 'critical'));
    assert.ok(has('RBAC-004', 'role/break-glass', 'critical'));
    assert.ok(has('RBAC-005', 'role/mcp-user'));
    assert.ok(
      has('RBAC-008', 'role/break-glass', 'high'),
      'break-glass sets require_session_mfa off',
    );
    assert.ok(has('RBAC-009', 'role/ops-wildcard', 'high'));
    assert.ok(has('RBAC-010', 'role/reviewer', 'medium'));
    assert.ok(has('RBAC-011', 'user/ops-bot', 'high'));
    assert.equal(findings[0]?.severity, 'critical', 'highest severity first');
  });

  it('diagnose_mcp_access explains that alice has no tools on payments-mcp and what fixes it', async () => {
    const { ctx } = recordingContext(undefined);
    const t = tool('diagnose_mcp_access');
    const result = await t.run(
      t.input.parse({ user: 'alice', server: 'payments-mcp', managed_updates: true }),
      ctx,
    );
    const d = result.structured as {
      ok: boolean;
      checks: { id: string; status: string; fix?: string }[];
    };
    assert.equal(d.ok, false);
    const tools = d.checks.find((c) => c.id === 'tools_allowed');
    assert.equal(tools?.status, 'fail');
    assert.match(tools?.fix ?? '', /mcp_tools/);
    assert.match(tools?.fix ?? '', /set_user_mcp_tools/);
    assert.equal(
      d.checks.find((c) => c.id === 'tsh_version')?.status,
      'warn',
      'the seed tsh is 18.2.0 < 18.2.3, behind managed updates',
    );
    const unknown = await t.run(t.input.parse({ user: 'alice', server: 'payments-mcp' }), ctx);
    const version = (
      unknown.structured as { checks: { id: string; status: string; detail: string }[] }
    ).checks.find((c) => c.id === 'tsh_version');
    assert.equal(version?.status, 'pass', 'managed updates unknown: no warning');
    assert.match(version?.detail ?? '', /managed updates is not known|not known here/);
  });

  it("diagnose_mcp_access on everything computes alice's tools like tsh mcp ls (deny wins)", async () => {
    const result = await new McpAccessDiagnosisService(sim.source('admin')).diagnose({
      user: 'alice',
      server: 'everything',
      tool: 'get-env',
    });
    assert.deepEqual(result.allowedTools, ['get-*', '^echo$']);
    assert.deepEqual(result.deniedTools, ['get-env']);
    const tool = result.checks.find((c) => c.id === 'tool_allowed');
    assert.equal(tool?.status, 'fail');
    assert.match(tool?.detail ?? '', /denied by deny.mcp.tools "get-env"/);
    // what tsh itself shows for alice
    const listing = await sim.runner('alice').run('tsh', sim.runner('alice').tsh.mcpList());
    assert.match(listing.stdout, /"get-\*"/);
  });

  it('diagnose_mcp_access reports a missing user and server as failed checks, not errors', async () => {
    const result = await new McpAccessDiagnosisService(sim.source('admin')).diagnose({
      user: 'nobody',
      server: 'nothing',
    });
    assert.equal(result.checks.find((c) => c.id === 'user_exists')?.status, 'fail');
    assert.equal(result.checks.find((c) => c.id === 'server_exists')?.status, 'fail');
    assert.equal(result.checks.find((c) => c.id === 'tools_allowed')?.status, 'skip');
  });

  it('an expired identity is credentials_expired for the health check and a failed first check in the diagnosis', async () => {
    const expired = sim.source('admin', { ttl: 'expired' });
    await assert.rejects(
      new HealthCheckService(expired, systemClock).run(),
      (err: unknown) => err instanceof AppError && err.code === 'credentials_expired',
    );
    const d = await new McpAccessDiagnosisService(expired).diagnose({
      user: 'alice',
      server: 'everything',
    });
    assert.equal(d.checks[0]?.id, 'gateway_credentials');
    assert.equal(d.checks[0]?.status, 'fail');
    assert.match(d.checks[0]?.fix ?? '', /tctl auth sign/);
  });
});
