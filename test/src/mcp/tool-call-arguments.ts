// Valid arguments for every tool of the catalogue, against the simulator's seeded cluster: what
// the e2e suites send when a call must get past argument validation (and, for a role that may use
// the tool, past the policy engine too). Every call carries a reason and a ticket, so mutating
// tools meet the policy's requirements whether or not the schema asks for them.

/** A pending access request of the simulator's seed. */
export const SEEDED_ACCESS_REQUEST = '0193a2f1-5d5e-7b8a-9c1e-2f3a4b5c6d7e';
/** No lease has this id: lease tools get past the policy and answer not found. */
export const UNKNOWN_LEASE = '5f0c6a52-2d8e-4b8f-9d51-3c1f4e0a7b21';

const call = { reason: 'e2e: exercise the tool', ticket: 'CHG-1234' } as const;

export const VALID_ARGUMENTS: Readonly<Record<string, Record<string, unknown>>> = {
  list_nodes: { ...call },
  list_proxies: { ...call },
  list_roles: { ...call },
  list_users: { ...call },
  list_tokens: { ...call },
  list_cas: { ...call },
  get_auth_preference: { ...call },
  list_apps: { ...call },
  list_databases: { ...call },
  list_mcp_servers: { ...call },
  run_health_check: { ...call },
  scan_rbac: { ...call },
  diagnose_mcp_access: { ...call, user: 'alice', server: 'everything' },
  search_audit: { ...call, hours: 24, event_types: ['user.login'], user: 'alice' },
  detect_audit_anomalies: { ...call, hours: 24 },
  list_access_requests: { ...call },
  show_access_request: { ...call, id: SEEDED_ACCESS_REQUEST },
  create_access_request: { ...call, roles: ['auditor'] },
  review_access_request: { ...call, id: SEEDED_ACCESS_REQUEST, approve: false },
  drop_access_request: { ...call, id: '7a0e3c9d-1b2f-4c5d-8e6f-0a1b2c3d4e5f' },
  register_mcp_server: {
    ...call,
    name: 'e2e-mcp',
    command: '/usr/local/bin/mcp-everything',
    args: ['--stdio'],
    run_as_host_user: 'nobody',
    labels: { env: 'dev' },
  },
  update_mcp_server: { ...call, name: 'e2e-mcp', description: 'updated by e2e' },
  unregister_mcp_server: { ...call, name: 'e2e-mcp' },
  set_user_mcp_tools: { ...call, user: 'alice', tools: ['read_*'] },
  get_mcp_client_config: { ...call, format: 'claude', target: 'gateway' },
  get_mcp_db_config: { ...call, db: 'pg', db_user: 'alice', db_name: 'postgres' },
  run_tsh_command: { ...call, args: ['version', '--client'] },
  run_tctl_command: { ...call, args: ['status'] },
  start_proxy: { ...call, kind: 'proxy_db', target: { db: 'pg', db_user: 'alice' } },
  get_proxy_status: { ...call, lease_id: UNKNOWN_LEASE },
  get_proxy_logs: { ...call, lease_id: UNKNOWN_LEASE },
  stop_proxy: { ...call, lease_id: UNKNOWN_LEASE },
  extend_proxy: { ...call, lease_id: UNKNOWN_LEASE, ttl_seconds: 600 },
  list_proxies_leases: { ...call },
};
