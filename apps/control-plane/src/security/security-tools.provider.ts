// MCP tools of the health & security plane: run_health_check, scan_rbac, diagnose_mcp_access.
// Thin edges: map input to one service call, the result to text + structured output.
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { clusterArgument } from '../mcp/tool-arguments.js';
import {
  defineTool,
  McpToolSource,
  type McpToolProvider,
  type ToolDefinition,
} from '../mcp/tool-definition.js';
import { healthFindingSchema } from './health-checks.js';
import { HealthCheckService, type HealthCheckReport } from './health-check.service.js';
import { mcpAccessDiagnosisSchema, type McpAccessDiagnosis } from './mcp-access-diagnosis.js';
import { McpAccessDiagnosisService } from './mcp-access-diagnosis.service.js';
import { rbacFindingSchema } from './rbac-scan.js';
import { RbacScanService, type RbacScanReport } from './rbac-scan.service.js';
import { countBySeverity, severitySchema, SEVERITIES } from './severity.js';

const severityCounts = z.object(
  Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int()])) as Record<
    (typeof SEVERITIES)[number],
    z.ZodNumber
  >,
);

const healthOutput = z.object({
  cluster: z.string(),
  version: z.string(),
  checkedAt: z.string(),
  inventory: z.object({
    nodes: z.number().int(),
    tunnelNodes: z.number().int(),
    proxies: z.number().int(),
    certAuthorities: z.array(z.object({ type: z.string(), rotation: z.string() })),
    tokens: z.number().int(),
    authPreference: z.object({
      type: z.string(),
      secondFactors: z.array(z.string()),
      secondFactor: z.string().optional(),
      requireSessionMfa: z.string().optional(),
    }),
    agentVersions: z.record(z.string(), z.number().int()),
  }),
  counts: severityCounts,
  findings: z.array(healthFindingSchema),
});

const rbacOutput = z.object({
  roles: z.number().int(),
  users: z.number().int(),
  counts: severityCounts,
  findings: z.array(rbacFindingSchema),
});

const identifier = (what: string) => z.string().min(1).max(253).describe(what);

@Injectable()
@McpToolSource()
export class SecurityToolsProvider implements McpToolProvider {
  constructor(
    private readonly health: HealthCheckService,
    private readonly rbac: RbacScanService,
    private readonly diagnosis: McpAccessDiagnosisService,
  ) {}

  tools(): readonly ToolDefinition[] {
    return [this.healthCheck(), this.scanRbac(), this.diagnoseMcpAccess()];
  }

  private healthCheck() {
    return defineTool({
      name: 'run_health_check',
      capability: 'health.check',
      title: 'Teleport cluster health check',
      description:
        'Collects the cluster inventory (tctl status, nodes, proxies, certificate authorities, auth preference, join tokens) and reports problems by severity: CA rotation in progress or stuck, join tokens expiring or expired, agent versions behind the cluster, MFA off or optional, no proxies, nodes offline or tunnel-only. Read-only; sends progress while it runs.',
      input: z.object({
        ...clusterArgument,
        rotation_stuck_after_hours: z
          .number()
          .positive()
          .max(24 * 365)
          .optional()
          .describe('A CA rotation in progress longer than this is reported as stuck (default 48)'),
        token_expiry_warning_hours: z
          .number()
          .positive()
          .max(24 * 365)
          .optional()
          .describe('Report join tokens expiring within this many hours (default 24)'),
      }),
      output: healthOutput,
      annotations: { readOnlyHint: true, openWorldHint: true },
      run: async (input, ctx) => {
        const report = await this.health.run({
          ...(input.cluster === undefined ? {} : { cluster: input.cluster }),
          observe: (c) => ctx.recordCommand(c),
          onStep: (step, total, message) => ctx.progress(step, total, message),
          options: {
            ...(input.rotation_stuck_after_hours === undefined
              ? {}
              : { rotationStuckAfterMs: input.rotation_stuck_after_hours * 3_600_000 }),
            ...(input.token_expiry_warning_hours === undefined
              ? {}
              : { tokenExpiryWarningMs: input.token_expiry_warning_hours * 3_600_000 }),
          },
        });
        return {
          text: healthText(report),
          structured: { ...report, counts: countBySeverity(report.findings) },
        };
      },
    });
  }

  private scanRbac() {
    return defineTool({
      name: 'scan_rbac',
      capability: 'health.scan_rbac',
      title: 'Scan Teleport RBAC',
      description:
        'Scans Teleport roles and their assignment for risky patterns: wildcard labels, root/* logins, write verbs on every resource, impersonation, mcp.tools ["*"], privileged roles held by many users, privileged roles without session MFA, editor widely assigned, requests/reviews of privileged roles, wildcards through trait templates. Each finding has a stable id (RBAC-001 …), severity, resource, evidence and remediation. Read-only.',
      input: z.object({
        ...clusterArgument,
        privileged_holder_threshold: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .optional()
          .describe('Report privileged roles held by more users than this (default 3)'),
        min_severity: severitySchema.optional().describe('Leave out findings below this severity'),
      }),
      output: rbacOutput,
      annotations: { readOnlyHint: true, openWorldHint: true },
      run: async (input, ctx) => {
        const report = await this.rbac.scan({
          ...(input.cluster === undefined ? {} : { cluster: input.cluster }),
          observe: (c) => ctx.recordCommand(c),
          ...(input.privileged_holder_threshold === undefined
            ? {}
            : { options: { privilegedHolderThreshold: input.privileged_holder_threshold } }),
        });
        const min = SEVERITIES.indexOf(input.min_severity ?? 'info');
        const findings = report.findings.filter((f) => SEVERITIES.indexOf(f.severity) >= min);
        const shown: RbacScanReport = { ...report, findings };
        return {
          text: rbacText(shown),
          structured: { ...shown, counts: countBySeverity(findings) },
        };
      },
    });
  }

  private diagnoseMcpAccess() {
    return defineTool({
      name: 'diagnose_mcp_access',
      capability: 'health.diagnose_mcp',
      title: "Diagnose a user's access to an MCP server",
      description:
        'Explains why a Teleport user can or cannot use an MCP server: user exists, server exists and is an MCP app, stdio definition complete (command, run_as_host_user), the user\'s roles match the app labels, which tools are allowed (mcp.tools with trait templates, deny wins) and which trait or role fixes "no tools", tsh version (≥ 18.2.3 when managed updates are on: say so with managed_updates), expired gateway identity, expired user login (SSO user record; certificate expiry is not visible to the cluster). Returns ordered checks with pass/fail and a fix for each failure. Read-only.',
      input: z.object({
        ...clusterArgument,
        user: identifier('Teleport user name'),
        server: identifier('Name of the MCP server (Teleport app)'),
        tool: z
          .string()
          .min(1)
          .max(256)
          .optional()
          .describe('A tool the user expects to call; checked against the allowed/denied patterns'),
        client_tsh_version: z
          .string()
          .regex(/^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?$/, 'must look like 18.2.3')
          .optional()
          .describe("Output of `tsh version` on the user's machine (default: this gateway's tsh)"),
        managed_updates: z
          .boolean()
          .optional()
          .describe(
            "Whether client tools managed updates are on for the user's tsh (`tctl autoupdate client-tools status`, or TELEPORT_TOOLS_VERSION set); a tsh older than 18.2.3 is a problem only then. Default: unknown",
          ),
      }),
      output: mcpAccessDiagnosisSchema,
      annotations: { readOnlyHint: true, openWorldHint: true },
      run: async (input, ctx) => {
        const result = await this.diagnosis.diagnose({
          user: input.user,
          server: input.server,
          ...(input.tool === undefined ? {} : { tool: input.tool }),
          ...(input.client_tsh_version === undefined
            ? {}
            : { clientTshVersion: input.client_tsh_version }),
          ...(input.managed_updates === undefined ? {} : { managedUpdates: input.managed_updates }),
          ...(input.cluster === undefined ? {} : { cluster: input.cluster }),
          observe: (c) => ctx.recordCommand(c),
        });
        return { text: diagnosisText(result), structured: result };
      },
    });
  }
}

export function healthText(r: HealthCheckReport): string {
  const counts = countBySeverity(r.findings);
  const lines = [
    `Cluster ${r.cluster || '(unknown)'} v${r.version}: ${r.inventory.nodes} nodes (${r.inventory.tunnelNodes} via tunnel), ${r.inventory.proxies} proxies, ${r.inventory.tokens} join tokens, ${r.inventory.certAuthorities.length} CAs.`,
    `Findings: ${r.findings.length} (critical ${counts.critical}, high ${counts.high}, medium ${counts.medium}, low ${counts.low}, info ${counts.info}).`,
    ...r.findings.map((f) => `- [${f.severity}] ${f.check}: ${f.title}. ${f.remediation}`),
  ];
  return lines.join('\n');
}

export function rbacText(r: RbacScanReport): string {
  const counts = countBySeverity(r.findings);
  return [
    `Scanned ${r.roles} roles and ${r.users} users: ${r.findings.length} findings (critical ${counts.critical}, high ${counts.high}, medium ${counts.medium}, low ${counts.low}, info ${counts.info}).`,
    ...r.findings.map((f) => `- [${f.severity}] ${f.id} ${f.resource}: ${f.evidence}`),
  ].join('\n');
}

export function diagnosisText(d: McpAccessDiagnosis): string {
  const mark = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' } as const;
  return [
    `${d.ok ? 'OK' : 'PROBLEM'}: access of ${d.user} to MCP server ${d.server}.`,
    ...d.checks.map(
      (c) => `${mark[c.status]} ${c.title}: ${c.detail}${c.fix ? `\n     fix: ${c.fix}` : ''}`,
    ),
  ].join('\n');
}
