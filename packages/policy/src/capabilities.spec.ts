import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CAPABILITIES,
  CAPABILITY_SPECS,
  TOOL_CAPABILITIES,
  TOOL_NAMES,
  capabilityOfTool,
  isCapability,
  isMutating,
} from './capabilities.js';

// Written out from DESIGN §3.2 on purpose: tool and capability names are the interface.
const EXPECTED_TOOLS: Record<string, string> = {
  list_nodes: 'inventory.nodes',
  list_proxies: 'inventory.proxies',
  list_roles: 'inventory.roles',
  list_users: 'inventory.users',
  list_tokens: 'inventory.tokens',
  list_cas: 'inventory.cas',
  get_auth_preference: 'inventory.auth_preference',
  list_apps: 'inventory.apps',
  list_databases: 'inventory.databases',
  list_mcp_servers: 'inventory.mcp_servers',
  run_health_check: 'health.check',
  scan_rbac: 'health.scan_rbac',
  diagnose_mcp_access: 'health.diagnose_mcp',
  search_audit: 'audit.search',
  detect_audit_anomalies: 'audit.anomalies',
  list_access_requests: 'access_request.list',
  show_access_request: 'access_request.show',
  create_access_request: 'access_request.create',
  review_access_request: 'access_request.review',
  drop_access_request: 'access_request.drop',
  start_proxy: 'proxy.start',
  get_proxy_status: 'proxy.status',
  get_proxy_logs: 'proxy.logs',
  stop_proxy: 'proxy.stop',
  extend_proxy: 'proxy.extend',
  list_proxies_leases: 'proxy.list',
  register_mcp_server: 'mcp.register',
  update_mcp_server: 'mcp.update',
  unregister_mcp_server: 'mcp.unregister',
  set_user_mcp_tools: 'mcp.set_user_tools',
  get_mcp_client_config: 'mcp.client_config',
  get_mcp_db_config: 'mcp.db_config',
  run_tsh_command: 'passthrough.tsh',
  run_tctl_command: 'passthrough.tctl',
};

const EXPECTED_ADMIN = [
  'admin.agents.read',
  'admin.agents.write',
  'admin.leases.read',
  'admin.leases.write',
  'admin.operations.read',
  'admin.roles.read',
  'admin.roles.write',
  'admin.principals.read',
  'admin.principals.write',
  'admin.tokens.read',
  'admin.tokens.write',
  'admin.policy.check',
  'admin.status.read',
  'admin.audit.read',
];

const EXPECTED_MUTATING = [
  'access_request.create',
  'access_request.review',
  'access_request.drop',
  'proxy.start',
  'proxy.stop',
  'proxy.extend',
  'mcp.register',
  'mcp.update',
  'mcp.unregister',
  'mcp.set_user_tools',
  'passthrough.tsh',
  'passthrough.tctl',
  'admin.agents.write',
  'admin.leases.write',
  'admin.roles.write',
  'admin.principals.write',
  'admin.tokens.write',
];

describe('capability catalogue', () => {
  it('maps every DESIGN §3.2 tool to its capability, and nothing else', () => {
    assert.deepEqual({ ...TOOL_CAPABILITIES }, EXPECTED_TOOLS);
    assert.deepEqual([...TOOL_NAMES].sort(), Object.keys(EXPECTED_TOOLS).sort());
  });

  it('holds exactly the tool, federation and admin capabilities, each once', () => {
    const expected = [...Object.values(EXPECTED_TOOLS), 'federation.call', ...EXPECTED_ADMIN];
    assert.deepEqual([...CAPABILITIES].sort(), expected.sort());
    assert.equal(new Set(CAPABILITIES).size, CAPABILITIES.length);
  });

  it('marks exactly the state-changing capabilities as mutating', () => {
    assert.deepEqual(
      CAPABILITIES.filter((c) => isMutating(c)).sort(),
      [...EXPECTED_MUTATING].sort(),
    );
  });

  it('describes every capability', () => {
    for (const spec of CAPABILITY_SPECS) assert.ok(spec.description.length > 0, spec.name);
  });

  const tools: [string, string | undefined][] = [
    ['list_nodes', 'inventory.nodes'],
    ['start_proxy', 'proxy.start'],
    ['pgdev__teleport_postgres_query', 'federation.call'],
    ['everything__echo', 'federation.call'],
    ['__echo', undefined],
    ['everything__', undefined],
    ['no_such_tool', undefined],
    ['toString', undefined],
  ];
  for (const [tool, expected] of tools) {
    it(`capabilityOfTool(${tool}) is ${expected ?? 'undefined'}`, () => {
      assert.equal(capabilityOfTool(tool), expected);
    });
  }

  it('recognises only catalogue names as capabilities', () => {
    assert.equal(isCapability('proxy.start'), true);
    assert.equal(isCapability('proxy.*'), false);
    assert.equal(isCapability('start_proxy'), false);
  });
});
