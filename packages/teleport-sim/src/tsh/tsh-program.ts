// The `tsh` command tree (flags of tool/tsh/common/tsh.go) and its handlers.
import type { CommandSpec, FlagSpec } from '../cli/kingpin-parser.js';
import type { ProgramDefinition } from '../cli/program-runner.js';
import { mcpConnectCommand } from '../mcp/mcp-connect.js';
import { mcpDbStartCommand } from '../mcp/db-mcp-server.js';
import { proxyMcpCommand } from '../mcp/mcp-http-proxy.js';
import {
  proxyAppCommand,
  proxyDbCommand,
  proxyKubeCommand,
  proxySshCommand,
  vnetCommand,
} from '../proxy/proxy-commands.js';
import { lsCommand, statusCommand, versionCommand } from './info-commands.js';
import { appsLsCommand, dbLsCommand, kubeLsCommand } from './list-commands.js';
import { mcpConfigCommand, mcpDbConfigCommand, mcpLsCommand } from './mcp-commands.js';
import {
  requestCreateCommand,
  requestDropCommand,
  requestLsCommand,
  requestReviewCommand,
  requestShowCommand,
} from './request-commands.js';
import { proxyAddress } from './tsh-session.js';

const str = (name: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({
  name,
  kind: 'string',
  ...extra,
});
const bool = (name: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({
  name,
  kind: 'bool',
  ...extra,
});
const FORMATS = ['text', 'json', 'yaml'] as const;
const clientConfigFlags: FlagSpec[] = [
  str('client-config', { env: 'TELEPORT_MCP_CLIENT_CONFIG' }),
  str('json-format', {
    env: 'TELEPORT_MCP_CONFIG_JSON_FORMAT',
    enum: ['pretty', 'compact', 'auto', 'none'],
  }),
  str('format', { enum: ['claude', 'vscode', 'cursor'] }),
];

/** `tsh apps|db|kube ls [<labels>]`. */
const resourceLs = (name: string): CommandSpec => ({
  name,
  args: [{ name: 'labels' }],
  flags: [
    str('format', { short: 'f', enum: FORMATS }),
    bool('verbose', { short: 'v' }),
    str('search'),
    str('query'),
  ],
});

export const TSH_SPEC: CommandSpec = {
  name: 'tsh',
  flags: [
    str('identity', { short: 'i', env: 'TELEPORT_IDENTITY_FILE' }),
    str('proxy', { env: 'TELEPORT_PROXY' }),
    str('user', { env: 'TELEPORT_USER' }),
    str('auth', { env: 'TELEPORT_AUTH' }),
    str('cluster', { env: 'TELEPORT_CLUSTER' }),
    str('kube-cluster', { env: 'TELEPORT_KUBE_CLUSTER' }),
    str('login', { short: 'l', env: 'TELEPORT_LOGIN' }),
    str('ttl'),
    bool('insecure'),
    bool('debug', { short: 'd' }),
    bool('skip-version-check'),
    str('add-keys-to-agent', { env: 'TELEPORT_ADD_KEYS_TO_AGENT' }),
    str('mfa-mode', { env: 'TELEPORT_MFA_MODE' }),
    str('request-mode', { env: 'TELEPORT_REQUEST_MODE' }),
    bool('headless', { env: 'TELEPORT_HEADLESS' }),
    str('jumphost', { short: 'J' }),
  ],
  commands: [
    {
      name: 'version',
      flags: [str('format', { short: 'f', enum: ['text', 'json'] }), bool('client')],
    },
    { name: 'status', flags: [str('format', { short: 'f', enum: FORMATS })] },
    {
      name: 'ls',
      args: [{ name: 'labels' }],
      flags: [
        str('format', { short: 'f', enum: FORMATS }),
        bool('verbose', { short: 'v' }),
        str('search'),
        str('query'),
      ],
    },
    { name: 'apps', aliases: ['app'], commands: [resourceLs('ls')] },
    { name: 'db', commands: [resourceLs('ls')] },
    { name: 'kube', commands: [resourceLs('ls')] },
    {
      name: 'request',
      aliases: ['requests'],
      commands: [
        {
          name: 'ls',
          aliases: ['list'],
          flags: [
            str('format', { short: 'f', enum: FORMATS }),
            bool('reviewable'),
            bool('suggested'),
            bool('my-requests'),
          ],
        },
        {
          name: 'show',
          aliases: ['details'],
          args: [{ name: 'request-id', required: true }],
          flags: [str('format', { short: 'f', enum: FORMATS })],
        },
        {
          name: 'new',
          aliases: ['create'],
          flags: [
            str('roles'),
            { name: 'resource', kind: 'strings' },
            str('reason'),
            str('reviewers'),
            bool('nowait'),
            str('request-ttl'),
            str('session-ttl'),
            str('max-duration'),
            str('assume-start-time'),
          ],
        },
        {
          name: 'review',
          args: [{ name: 'request-id', required: true }],
          flags: [bool('approve'), bool('deny'), str('reason'), str('assume-start-time')],
        },
        { name: 'drop', args: [{ name: 'request-id', variadic: true }] },
      ],
    },
    {
      name: 'mcp',
      commands: [
        {
          name: 'ls',
          args: [{ name: 'labels' }],
          flags: [
            str('search'),
            str('query'),
            bool('verbose', { short: 'v' }),
            str('format', { short: 'f', enum: FORMATS }),
          ],
        },
        {
          name: 'config',
          args: [{ name: 'name' }],
          flags: [
            bool('all', { short: 'R' }),
            str('labels'),
            str('query'),
            bool('auto-reconnect'),
            { name: 'header', short: 'H', kind: 'strings' },
            ...clientConfigFlags,
          ],
        },
        {
          name: 'connect',
          args: [{ name: 'name', required: true }],
          flags: [bool('auto-reconnect'), { name: 'header', short: 'H', kind: 'strings' }],
        },
        {
          name: 'db',
          commands: [
            {
              name: 'config',
              args: [{ name: 'name' }],
              flags: [
                str('db-user', { short: 'u' }),
                str('db-name', { short: 'n' }),
                bool('overwrite'),
                str('labels'),
                str('query'),
                ...clientConfigFlags,
              ],
            },
            { name: 'start', args: [{ name: 'uris', required: true, variadic: true }] },
          ],
        },
      ],
    },
    {
      name: 'proxy',
      commands: [
        {
          name: 'db',
          args: [{ name: 'db' }],
          flags: [
            str('port', { short: 'p' }),
            bool('tunnel'),
            str('db-user', { short: 'u' }),
            str('db-name', { short: 'n' }),
            str('db-roles', { short: 'r' }),
            str('cluster', { short: 'c' }),
            str('labels'),
            str('query'),
            str('request-reason'),
            bool('disable-access-request'),
          ],
        },
        {
          name: 'app',
          args: [{ name: 'app', required: true }],
          flags: [str('port', { short: 'p' }), str('cluster')],
        },
        {
          name: 'kube',
          args: [{ name: 'kube-clusters', variadic: true }],
          flags: [
            str('port', { short: 'p' }),
            str('as'),
            str('as-groups'),
            str('kube-namespace', { short: 'n' }),
            str('format'),
            bool('exec'),
          ],
        },
        {
          name: 'mcp',
          args: [{ name: 'app', required: true }],
          flags: [str('port', { short: 'p' })],
        },
        { name: 'ssh', args: [{ name: 'target', required: true }], flags: [str('cluster')] },
      ],
    },
    { name: 'vnet' },
  ],
};

export const TSH: ProgramDefinition = {
  program: 'tsh',
  spec: TSH_SPEC,
  addressOf: (cmd) => proxyAddress(cmd) ?? 'teleport.example.com:443',
  handlers: {
    version: versionCommand,
    status: statusCommand,
    ls: lsCommand,
    'apps ls': appsLsCommand,
    'db ls': dbLsCommand,
    'kube ls': kubeLsCommand,
    'request ls': requestLsCommand,
    'request show': requestShowCommand,
    'request new': requestCreateCommand,
    'request review': requestReviewCommand,
    'request drop': requestDropCommand,
    'mcp ls': mcpLsCommand,
    'mcp config': mcpConfigCommand,
    'mcp connect': mcpConnectCommand,
    'mcp db config': mcpDbConfigCommand,
    'mcp db start': mcpDbStartCommand,
    'proxy db': proxyDbCommand,
    'proxy app': proxyAppCommand,
    'proxy kube': proxyKubeCommand,
    'proxy mcp': proxyMcpCommand,
    'proxy ssh': proxySshCommand,
    vnet: vnetCommand,
  },
};
