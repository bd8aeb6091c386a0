// The inventory plane (DESIGN §3.2): read-only tctl/tsh listings, each with an optional
// `cluster`. Thin edges over InventoryService: arguments in, one call, a text table and the
// structured result out.
import { Inject, Injectable } from '@nestjs/common';
import type { Capability, ToolName } from '@tmcp/policy';
import { z } from 'zod';
import { CLOCK, type Clock } from '../common/clock.js';
import { clusterArgument } from '../mcp/tool-arguments.js';
import {
  McpToolSource,
  defineTool,
  type McpToolProvider,
  type ToolDefinition,
} from '../mcp/tool-definition.js';
import { caRotationWarnings } from './ca-rotation-warnings.js';
import { type ClusterItems, type CommandRecorder, InventoryService } from './inventory.service.js';
import { labelsText, textTable } from './text-table.js';

const input = z.object(clusterArgument);
const labels = z.record(z.string(), z.string());
const readOnly = { readOnlyHint: true, openWorldHint: true } as const;

function listOf<T extends z.ZodType>(item: T) {
  return z.object({ cluster: z.string(), count: z.number().int(), items: z.array(item) });
}

const nodeSchema = z.looseObject({
  name: z.string(),
  hostname: z.string(),
  addr: z.string(),
  labels,
  version: z.string().optional(),
  subKind: z.string().optional(),
  useTunnel: z.boolean(),
});
const proxySchema = z.looseObject({
  name: z.string(),
  hostname: z.string(),
  addr: z.string(),
  version: z.string().optional(),
  publicAddrs: z.array(z.string()),
});
const roleSchema = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  version: z.string().optional(),
});
const userSchema = z.looseObject({
  name: z.string(),
  roles: z.array(z.string()),
  locked: z.boolean(),
  origin: z.string(),
  mcpTools: z.array(z.string()),
});
const tokenSchema = z.looseObject({
  masked: z.string(),
  fingerprint: z.string(),
  roles: z.array(z.string()),
  joinMethod: z.string(),
  expires: z.string().optional(),
});
const caSchema = z.looseObject({ type: z.string(), clusterName: z.string() });
const warningSchema = z.object({
  type: z.string(),
  clusterName: z.string(),
  severity: z.enum(['info', 'warning']),
  message: z.string(),
});
const appSchema = z.looseObject({ name: z.string(), uri: z.string(), labels, isMcp: z.boolean() });
const databaseSchema = z.looseObject({
  name: z.string(),
  protocol: z.string(),
  uri: z.string(),
  labels,
});
const authPreferenceSchema = z.looseObject({
  type: z.string(),
  secondFactors: z.array(z.string()),
});
const mcpServerSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  allowedTools: z.array(z.string()),
  deniedTools: z.array(z.string()),
  hasToolAccess: z.boolean(),
  allowedToolsSummary: z.string(),
});

type AuthPreferenceRecord = z.output<typeof authPreferenceSchema>;

/** Parser models as JSON records (they are plain data; the output schemas are loose objects). */
function records<T extends object>(items: readonly T[]): (T & Record<string, unknown>)[] {
  return items as (T & Record<string, unknown>)[];
}

function header(kind: string, cluster: string, count: number): string {
  return `${count} ${kind} in cluster ${cluster}`;
}

/** A read-only listing tool: one InventoryService call, a text table and `{cluster, count, items}`. */
interface ListToolSpec<T extends object> {
  name: ToolName;
  capability: Capability;
  title: string;
  description: string;
  /** Schema of one structured item (after `project`). */
  item: z.ZodType;
  /** What the header counts, e.g. "nodes". */
  noun: string;
  load: (cluster: string | undefined, record: CommandRecorder) => Promise<ClusterItems<T>>;
  columns: readonly string[];
  row: (item: T) => string[];
  /** The structured form of an item, when it differs from the parsed model. */
  project?: (item: T) => object;
}

function listTool<T extends object>(spec: ListToolSpec<T>) {
  return defineTool({
    name: spec.name,
    capability: spec.capability,
    title: spec.title,
    description: spec.description,
    input,
    output: listOf(spec.item),
    annotations: readOnly,
    run: async ({ cluster }, ctx) => {
      const r = await spec.load(cluster, (c) => ctx.recordCommand(c));
      const items = spec.project === undefined ? r.items : r.items.map(spec.project);
      return {
        text: `${header(spec.noun, r.cluster, r.items.length)}\n${textTable(spec.columns, r.items.map(spec.row))}`,
        structured: { cluster: r.cluster, count: r.items.length, items: records(items) },
      };
    },
  });
}

@Injectable()
@McpToolSource()
export class InventoryTools implements McpToolProvider {
  constructor(
    private readonly inventory: InventoryService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  tools(): ToolDefinition[] {
    const inv = this.inventory;
    return [
      listTool({
        name: 'list_nodes',
        capability: 'inventory.nodes',
        title: 'List SSH nodes',
        description:
          'Lists the SSH nodes registered in the Teleport cluster (hostname, address, labels, agent version, tunnel). Read-only.',
        item: nodeSchema,
        noun: 'nodes',
        load: (cluster, record) => inv.nodes(cluster, record),
        columns: ['HOSTNAME', 'ADDRESS', 'VERSION', 'LABELS'],
        row: (n) => [
          n.hostname,
          n.useTunnel ? '⟵ Tunnel' : n.addr,
          n.version ?? '',
          labelsText(n.labels),
        ],
      }),
      listTool({
        name: 'list_proxies',
        capability: 'inventory.proxies',
        title: 'List proxy servers',
        description:
          'Lists the Teleport proxy servers of the cluster with their versions and public addresses. Read-only.',
        item: proxySchema,
        noun: 'proxies',
        load: (cluster, record) => inv.proxies(cluster, record),
        columns: ['HOSTNAME', 'ADDRESS', 'VERSION', 'PUBLIC ADDRESSES'],
        row: (p) => [p.hostname, p.addr, p.version ?? '', p.publicAddrs.join(',')],
      }),
      listTool({
        name: 'list_roles',
        capability: 'inventory.roles',
        title: 'List Teleport roles',
        description:
          'Lists the Teleport roles with their allow/deny conditions (logins, labels, rules, MCP tools). Read-only.',
        item: roleSchema,
        noun: 'roles',
        load: (cluster, record) => inv.roles(cluster, record),
        columns: ['ROLE', 'LOGINS', 'NODE LABELS', 'MCP TOOLS', 'DESCRIPTION'],
        row: (role) => [
          role.name,
          role.allow.logins.join(','),
          Object.entries(role.allow.nodeLabels)
            .map(([k, v]) => `${k}=${v.join('|')}`)
            .join(','),
          role.allow.mcpTools.join(','),
          role.description ?? '',
        ],
        project: ({ options, ...role }) => ({
          ...role,
          options: {
            maxSessionTtl: options.maxSessionTtl,
            requireSessionMfa: options.requireSessionMfa,
          },
        }),
      }),
      listTool({
        name: 'list_users',
        capability: 'inventory.users',
        title: 'List Teleport users',
        description:
          'Lists Teleport users with their roles, origin (local/SSO), lock state and mcp_tools trait. Read-only.',
        item: userSchema,
        noun: 'users',
        load: (cluster, record) => inv.users(cluster, record),
        columns: ['USER', 'ROLES', 'ORIGIN', 'LOCKED', 'MCP TOOLS'],
        row: (u) => [
          u.name,
          u.roles.join(','),
          u.origin,
          u.locked ? 'yes' : '',
          u.mcpTools.join(','),
        ],
      }),
      listTool({
        name: 'list_tokens',
        capability: 'inventory.tokens',
        title: 'List join tokens',
        description:
          'Lists the cluster join tokens: system roles, join method, expiry. Token values are never shown: each token appears masked with a fingerprint to tell them apart. Read-only.',
        item: tokenSchema,
        noun: 'join tokens',
        load: (cluster, record) => inv.tokens(cluster, record),
        columns: ['TOKEN', 'FINGERPRINT', 'ROLES', 'JOIN METHOD', 'EXPIRES'],
        row: (t) => [
          t.masked,
          t.fingerprint,
          t.roles.join(','),
          t.joinMethod,
          t.expires ?? 'never',
        ],
      }),
      defineTool({
        name: 'list_cas',
        capability: 'inventory.cas',
        title: 'List certificate authorities',
        description:
          'Lists the certificate authorities (host, user, db, …) with their rotation state, and warns about rotations in progress, rotations that look stuck and CAs not rotated for over a year. Read-only.',
        input,
        output: z.object({
          cluster: z.string(),
          count: z.number().int(),
          items: z.array(caSchema),
          warnings: z.array(warningSchema),
        }),
        annotations: readOnly,
        run: async ({ cluster }, ctx) => {
          const r = await inv.certAuthorities(cluster, (c) => ctx.recordCommand(c));
          const warnings = caRotationWarnings(r.items, this.clock.now());
          const table = textTable(
            ['TYPE', 'CLUSTER', 'ROTATION', 'PHASE', 'LAST ROTATED'],
            r.items.map((ca) => [
              ca.type,
              ca.clusterName,
              ca.rotation?.state ?? '',
              ca.rotation?.phase ?? '',
              ca.rotation?.lastRotated ?? '',
            ]),
          );
          const notes = warnings.map(
            (w) => `${w.severity === 'warning' ? 'WARNING' : 'note'}: ${w.message}`,
          );
          return {
            text: [
              header('certificate authorities', r.cluster, r.items.length),
              table,
              ...notes,
            ].join('\n'),
            structured: {
              cluster: r.cluster,
              count: r.items.length,
              items: records(r.items),
              warnings,
            },
          };
        },
      }),
      defineTool({
        name: 'get_auth_preference',
        capability: 'inventory.auth_preference',
        title: 'Show the authentication preference',
        description:
          'Shows the cluster authentication preference (connector type, second factors, per-session MFA, locking mode) and warns when MFA is off. Read-only.',
        input,
        output: z.object({
          cluster: z.string(),
          preference: authPreferenceSchema,
          warnings: z.array(z.string()),
        }),
        annotations: readOnly,
        run: async ({ cluster }, ctx) => {
          const r = await inv.authPreference(cluster, (c) => ctx.recordCommand(c));
          const p = r.preference;
          const warnings: string[] = [];
          if (
            p.secondFactor === 'off' ||
            (p.secondFactor === undefined && p.secondFactors.length === 0)
          ) {
            warnings.push('second factor is off: enable MFA (second_factors: [webauthn, otp])');
          }
          const lines = [
            `authentication preference of cluster ${r.cluster}`,
            `type: ${p.type}${p.connectorName === undefined ? '' : ` (connector ${p.connectorName})`}`,
            `second factors: ${p.secondFactors.length > 0 ? p.secondFactors.join(', ') : (p.secondFactor ?? 'none')}`,
            `per-session MFA: ${p.requireSessionMfa ?? 'off'}`,
            `locking mode: ${p.lockingMode ?? 'best_effort'}`,
            ...warnings.map((w) => `WARNING: ${w}`),
          ];
          return {
            text: lines.join('\n'),
            structured: {
              cluster: r.cluster,
              preference: records([p])[0] as AuthPreferenceRecord,
              warnings,
            },
          };
        },
      }),
      listTool({
        name: 'list_apps',
        capability: 'inventory.apps',
        title: 'List applications',
        description:
          'Lists the applications registered in Teleport (web apps and MCP servers) with URI and labels. Read-only.',
        item: appSchema,
        noun: 'applications',
        load: (cluster, record) => inv.apps(cluster, record),
        columns: ['APP', 'KIND', 'URI', 'LABELS'],
        row: (a) => [
          a.name,
          a.isMcp ? `mcp (${a.mcpTransport ?? '?'})` : 'web',
          a.uri,
          labelsText(a.labels),
        ],
      }),
      listTool({
        name: 'list_databases',
        capability: 'inventory.databases',
        title: 'List databases',
        description:
          'Lists the databases registered in Teleport with protocol, URI and labels. Read-only.',
        item: databaseSchema,
        noun: 'databases',
        load: (cluster, record) => inv.databases(cluster, record),
        columns: ['DATABASE', 'PROTOCOL', 'URI', 'LABELS'],
        row: (d) => [d.name, d.protocol, d.uri, labelsText(d.labels)],
      }),
      defineTool({
        name: 'list_mcp_servers',
        capability: 'inventory.mcp_servers',
        title: 'List MCP servers',
        description:
          "Lists the MCP servers (Teleport apps with spec.mcp) with their transport and the tools the cluster identity may use on each; warns where no tool is allowed (Teleport's `(none) [!]`). Read-only.",
        input,
        output: z.object({
          cluster: z.string(),
          count: z.number().int(),
          items: z.array(mcpServerSchema),
          warnings: z.array(z.string()),
        }),
        annotations: readOnly,
        run: async ({ cluster }, ctx) => {
          const r = await inv.mcpServers(cluster, (c) => ctx.recordCommand(c));
          const warnings = r.items
            .filter((s) => !s.hasToolAccess)
            .map(
              (s) =>
                `no tools allowed on ${s.name}: the user's roles grant no mcp.tools there; add tool patterns to a role (mcp.tools) or the user's mcp_tools trait (set_user_mcp_tools)`,
            );
          return {
            text: [
              header('MCP servers', r.cluster, r.items.length),
              textTable(
                ['NAME', 'TYPE', 'ALLOWED TOOLS', 'LABELS'],
                r.items.map((s) => [
                  s.name,
                  s.type,
                  `${s.allowedToolsSummary}${s.hasToolAccess ? '' : ' [!]'}`,
                  labelsText(s.labels),
                ]),
              ),
              ...warnings.map((w) => `WARNING: ${w}`),
            ].join('\n'),
            structured: {
              cluster: r.cluster,
              count: r.items.length,
              items: records(r.items),
              warnings,
            },
          };
        },
      }),
    ];
  }
}
