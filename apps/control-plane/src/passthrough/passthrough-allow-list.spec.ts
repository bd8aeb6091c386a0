import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@tmcp/errors';
import type { TeleportTool } from '@tmcp/teleport';
import { checkPassthroughArgs } from './passthrough-allow-list.js';

describe('passthrough allow-list', () => {
  it('accepts the read-only subcommands with their flags', () => {
    const ok: [TeleportTool, string[]][] = [
      ['tsh', ['ls']],
      ['tsh', ['ls', 'env=dev', '--format=json']],
      ['tsh', ['status', '--format=json']],
      ['tsh', ['version', '--client']],
      ['tsh', ['request', 'ls', '--reviewable', '--format=json']],
      ['tsh', ['request', 'show', '0193a2f1-5d5e-7b8a-9c1e-2f3a4b5c6d7e']],
      ['tsh', ['mcp', 'ls', '-v']],
      ['tsh', ['apps', 'ls']],
      ['tsh', ['db', 'ls', '--format=yaml']],
      ['tsh', ['kube', 'ls']],
      ['tctl', ['get', 'roles', '--format=json']],
      ['tctl', ['get', 'role/access']],
      ['tctl', ['get', 'cert_authority/host/teleport.example.com']],
      ['tctl', ['status']],
      ['tctl', ['tokens', 'ls']],
      ['tctl', ['users', 'ls']],
      ['tctl', ['nodes', 'ls', '--format=json']],
    ];
    for (const [tool, args] of ok)
      assert.deepEqual(checkPassthroughArgs(tool, args), args, args.join(' '));
  });

  it('rejects the injection corpus, global flags, secrets and other subcommands', () => {
    const bad: [TeleportTool, string[]][] = [
      ['tsh', []],
      ['tsh', ['ls', '--proxy=evil']],
      ['tsh', ['--proxy=evil', 'ls']],
      ['tsh', ['-i', '/tmp/id', 'ls']],
      ['tsh', ['ls', '-i']],
      ['tsh', ['ls', '--insecure']],
      ['tsh', ['ls', '--debug']],
      ['tsh', ['ls', '-d']],
      ['tsh', ['ls', 'a b']],
      ['tsh', ['ls', 'env=dev\u0000']],
      ['tsh', ['ls', 'env=\u202edev']],
      ['tsh', ['ls', 'env=dev\n']],
      ['tsh', ['ls', '../../etc/passwd']],
      ['tsh', ['ls', `env=${'x'.repeat(300)}`]],
      ['tsh', ['ls', 'env=dev', 'team=a']],
      ['tsh', ['ssh', 'root@node']],
      ['tsh', ['login']],
      ['tsh', ['request', 'create', '--roles=editor']],
      ['tsh', ['request', 'review', 'x', '--approve']],
      ['tsh', ['request', 'show']],
      ['tsh', ['mcp', 'connect', 'everything']],
      ['tsh', ['proxy', 'db', 'pg']],
      ['tsh', ['status', '--format=json', '--format=yaml']],
      ['tctl', ['get', 'tokens']],
      ['tctl', ['get', 'token/abc']],
      ['tctl', ['get', 'roles', '--with-secrets']],
      ['tctl', ['get', 'all']],
      ['tctl', ['get', 'roles', '--auth-server=evil:443']],
      ['tctl', ['tokens', 'ls', '--format=json']],
      ['tctl', ['tokens', 'add', '--type=node']],
      ['tctl', ['create', '/tmp/x.yaml']],
      ['tctl', ['rm', 'role/access']],
      ['tctl', ['users', 'update', 'bob', '--set-roles=editor']],
      ['tctl', ['auth', 'sign', '--user=admin']],
      ['tctl', ['get', 'role/-x']],
      ['tctl', ['get']],
      ['tctl', Array.from({ length: 13 }, () => 'status')],
    ];
    for (const [tool, args] of bad) {
      assert.throws(
        () => checkPassthroughArgs(tool, args),
        (e: unknown) =>
          e instanceof AppError && (e.code === 'bad_parameter' || e.code === 'access_denied'),
        `${tool} ${JSON.stringify(args)}`,
      );
    }
  });
});
