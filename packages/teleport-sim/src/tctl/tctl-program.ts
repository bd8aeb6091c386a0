// The `tctl` command tree (flags as in tool/tctl/common) and its handlers.
import type { CommandSpec, FlagSpec } from '../cli/kingpin-parser.js';
import type { ProgramDefinition } from '../cli/program-runner.js';
import {
  nodesLsCommand,
  statusCommand,
  tokensAddCommand,
  tokensLsCommand,
  tokensRmCommand,
  versionCommand,
} from './cluster-commands.js';
import {
  requestsApproveCommand,
  requestsDenyCommand,
  requestsGetCommand,
  requestsLsCommand,
  requestsRmCommand,
} from './requests-commands.js';
import { createCommand, getCommand, rmCommand } from './resource-commands.js';
import {
  authSignCommand,
  USERS_UPDATE_FLAGS,
  usersAddCommand,
  usersLsCommand,
  usersRmCommand,
  usersUpdateCommand,
} from './users-commands.js';

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

const FORMAT_TEXT_JSON_YAML = ['text', 'json', 'yaml'] as const;

export const TCTL_SPEC: CommandSpec = {
  name: 'tctl',
  flags: [
    str('identity', { short: 'i', env: 'TELEPORT_IDENTITY_FILE' }),
    { name: 'auth-server', kind: 'strings', env: 'TELEPORT_AUTH_SERVER' },
    str('config', { short: 'c', env: 'TELEPORT_CONFIG_FILE' }),
    bool('insecure'),
    bool('debug', { short: 'd' }),
  ],
  commands: [
    { name: 'version' },
    { name: 'status', flags: [str('format', { enum: FORMAT_TEXT_JSON_YAML })] },
    {
      name: 'get',
      args: [{ name: 'resource', required: true }],
      flags: [
        str('format', { enum: FORMAT_TEXT_JSON_YAML }),
        bool('with-secrets'),
        bool('verbose', { short: 'v' }),
      ],
    },
    {
      name: 'create',
      args: [{ name: 'filename', required: true }],
      flags: [bool('force', { short: 'f' }), bool('confirm')],
    },
    { name: 'rm', aliases: ['del'], args: [{ name: 'resource', required: true }] },
    {
      name: 'users',
      commands: [
        {
          name: 'add',
          args: [{ name: 'account', required: true }],
          flags: [
            str('roles'),
            str('logins'),
            str('db-users'),
            str('db-names'),
            str('mcp-tools'),
            str('ttl'),
          ],
        },
        {
          name: 'update',
          args: [{ name: 'account', required: true }],
          flags: USERS_UPDATE_FLAGS.map((f) => str(f)),
        },
        { name: 'rm', aliases: ['del'], args: [{ name: 'logins', required: true }] },
        { name: 'ls', flags: [str('format', { enum: FORMAT_TEXT_JSON_YAML })] },
      ],
    },
    {
      name: 'auth',
      commands: [
        {
          name: 'sign',
          flags: [
            str('user'),
            str('host'),
            str('format', { default: 'file' }),
            str('out', { short: 'o' }),
            str('ttl'),
            bool('overwrite'),
            str('proxy'),
            bool('compat'),
          ],
        },
      ],
    },
    {
      name: 'tokens',
      commands: [
        {
          name: 'ls',
          flags: [
            str('format', { enum: FORMAT_TEXT_JSON_YAML }),
            bool('with-secrets'),
            str('labels'),
          ],
        },
        {
          name: 'add',
          flags: [
            str('type'),
            str('ttl'),
            str('value'),
            str('labels'),
            str('format', { enum: FORMAT_TEXT_JSON_YAML }),
          ],
        },
        { name: 'rm', aliases: ['del'], args: [{ name: 'token', required: true }] },
      ],
    },
    {
      name: 'nodes',
      commands: [{ name: 'ls', flags: [str('format', { enum: FORMAT_TEXT_JSON_YAML })] }],
    },
    {
      name: 'requests',
      aliases: ['request'],
      commands: [
        { name: 'ls', flags: [str('format', { enum: ['text', 'json'] })] },
        {
          name: 'get',
          args: [{ name: 'request-id', required: true, variadic: true }],
          flags: [str('format', { enum: ['text', 'json'] })],
        },
        {
          name: 'approve',
          args: [{ name: 'request-id', required: true }],
          flags: [str('reason'), str('delegator'), str('roles'), str('annotations')],
        },
        {
          name: 'deny',
          args: [{ name: 'request-id', required: true }],
          flags: [str('reason'), str('delegator'), str('annotations')],
        },
        { name: 'rm', args: [{ name: 'request-id', required: true }], flags: [bool('force')] },
      ],
    },
  ],
};

export const TCTL: ProgramDefinition = {
  program: 'tctl',
  spec: TCTL_SPEC,
  addressOf: (cmd) => cmd.strings('auth-server')[0] ?? '127.0.0.1:3025',
  handlers: {
    version: versionCommand,
    status: statusCommand,
    get: getCommand,
    create: createCommand,
    rm: rmCommand,
    'users add': usersAddCommand,
    'users update': usersUpdateCommand,
    'users rm': usersRmCommand,
    'users ls': usersLsCommand,
    'auth sign': authSignCommand,
    'tokens ls': tokensLsCommand,
    'tokens add': tokensAddCommand,
    'tokens rm': tokensRmCommand,
    'nodes ls': nodesLsCommand,
    'requests ls': requestsLsCommand,
    'requests get': requestsGetCommand,
    'requests approve': requestsApproveCommand,
    'requests deny': requestsDenyCommand,
    'requests rm': requestsRmCommand,
  },
};
