// `tctl users add|update|rm|ls` and `tctl auth sign`.
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { AsciiTable } from '../format/ascii-table.js';
import { goJson } from '../format/go-json.js';
import { parseGoDuration, rfc3339Nano, ZERO_TIME } from '../format/go-time.js';
import { goYamlDocuments } from '../format/go-yaml.js';
import { writeIdentityFile } from '../identity/identity-file.js';
import { normalizeResource, notFound } from '../state/resource-kinds.js';
import type { Resource } from '../state/sim-state.js';
import { resourceEvent } from './resource-commands.js';
import { tctlChecker } from './tctl-session.js';

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** `--set-<flag>` → trait name, as `tctl users update` maps them. */
const TRAIT_FLAGS: [flag: string, trait: string][] = [
  ['set-logins', 'logins'],
  ['set-windows-logins', 'windows_logins'],
  ['set-kubernetes-users', 'kubernetes_users'],
  ['set-kubernetes-groups', 'kubernetes_groups'],
  ['set-db-users', 'db_users'],
  ['set-db-names', 'db_names'],
  ['set-db-roles', 'db_roles'],
  ['set-aws-role-arns', 'aws_role_arns'],
  ['set-mcp-tools', 'mcp_tools'],
];

export const USERS_UPDATE_FLAGS = ['set-roles', ...TRAIT_FLAGS.map(([f]) => f)];

function sortedTraits(traits: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(traits).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

export function usersAddCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const name = cmd.arg('account') ?? '';
  const roles = splitList(cmd.string('roles'));
  if (roles.length === 0)
    throw TeleportError.badParameter('please use --roles to assign a user to roles');
  const traits: Record<string, string[]> = {};
  const logins = splitList(cmd.string('logins'));
  if (logins.length) traits.logins = logins;
  for (const [flag, trait] of [
    ['db-users', 'db_users'],
    ['db-names', 'db_names'],
    ['mcp-tools', 'mcp_tools'],
  ] as const) {
    const values = splitList(cmd.string(flag));
    if (values.length) traits[trait] = values;
  }
  const state = ctx.update((s) => {
    const checker = tctlChecker(cmd, ctx, s);
    checker.checkAction('user', 'create');
    if (s.users.some((u) => u.metadata.name === name)) {
      throw new TeleportError('already_exists', `user "${name}" already registered`);
    }
    for (const role of roles) {
      if (!s.roles.some((r) => r.metadata.name === role))
        throw TeleportError.notFound(`role ${role} is not found`);
    }
    const user = normalizeResource(
      'user',
      {
        kind: 'user',
        version: 'v2',
        metadata: { name },
        spec: { roles, traits: sortedTraits(traits) },
      },
      checker.username,
      rfc3339Nano(ctx.now()),
    );
    s.users.push(user);
    ctx.audit.emit({
      event: 'user.create',
      code: 'T1002I',
      user: checker.username,
      name,
      roles,
      connector: 'local',
      expires: ZERO_TIME,
    });
    return s;
  });
  const proxy = state.cluster.proxyPublicAddr;
  ctx.out(
    `User "${name}" has been created but requires a password. Share this URL with the user to complete user setup, link is valid for 1h:\n` +
      `https://${proxy}/web/invite/${randomBytes(16).toString('hex')}\n\n` +
      `NOTE: Make sure ${proxy} points at a Teleport proxy which users can access.\n`,
  );
}

export function usersUpdateCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const name = cmd.arg('account') ?? '';
  const changes: [string, string[]][] = [];
  const setRoles = cmd.string('set-roles');
  for (const [flag, trait] of TRAIT_FLAGS) {
    const value = cmd.string(flag);
    if (value !== undefined) changes.push([trait, splitList(value)]);
  }
  if (setRoles === undefined && changes.length === 0) {
    throw TeleportError.badParameter('Nothing to update. Please provide at least one --set flag.');
  }
  ctx.update((s) => {
    const checker = tctlChecker(cmd, ctx, s);
    checker.checkAction('user', 'update');
    const user = s.users.find((u) => u.metadata.name === name);
    if (!user) throw notFound('user', name);
    if (setRoles !== undefined) {
      const roles = splitList(setRoles);
      for (const role of roles) {
        if (!s.roles.some((r) => r.metadata.name === role))
          throw TeleportError.notFound(`role ${role} is not found`);
      }
      user.spec.roles = roles;
    }
    const traits = { ...((user.spec.traits as Record<string, string[]> | undefined) ?? {}) };
    for (const [trait, values] of changes) traits[trait] = values;
    user.spec = { ...user.spec, traits: sortedTraits(traits) };
    user.metadata.revision = randomUUID();
    resourceEvent(ctx, 'user', 'updated', name, checker.username);
  });
  let note = '';
  if (setRoles !== undefined) note += `\tNew roles: ${splitList(setRoles).join(',')}\n`;
  for (const [trait, values] of changes) note += `\tNew ${trait}: ${values.join(',')}\n`;
  ctx.out(`User ${name} has been updated:\n${note}`);
}

export function usersRmCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const names = splitList(cmd.arg('logins'));
  ctx.update((s) => {
    const checker = tctlChecker(cmd, ctx, s);
    checker.checkAction('user', 'delete');
    for (const name of names) {
      const index = s.users.findIndex((u) => u.metadata.name === name);
      if (index < 0) throw notFound('user', name);
      s.users.splice(index, 1);
      resourceEvent(ctx, 'user', 'deleted', name, checker.username);
    }
  });
  for (const name of names) ctx.out(`User "${name}" has been deleted\n`);
}

export function usersLsCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const state = ctx.read();
  tctlChecker(cmd, ctx, state).checkAction('user', 'list', 'read');
  const users: Resource[] = state.users;
  switch (cmd.string('format') ?? 'text') {
    case 'json':
      ctx.out(goJson(users, 4) + '\n');
      return;
    case 'yaml':
      ctx.out(goYamlDocuments(users));
      return;
    default: {
      const t = AsciiTable.withHeaders(['User', 'Roles']);
      for (const u of users)
        t.addRow([u.metadata.name, ((u.spec.roles as string[] | undefined) ?? []).join(',')]);
      ctx.out(t.render());
    }
  }
}

export function authSignCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const target = cmd.string('user');
  if (!target) throw TeleportError.badParameter('--user or --host must be specified');
  const format = cmd.string('format') ?? 'file';
  if (format !== 'file' && format !== 'tls' && format !== 'openssh') {
    throw TeleportError.badParameter(
      `invalid --format flag "${format}", supported formats are file, openssh, tls`,
    );
  }
  const out = cmd.string('out');
  if (!out) throw TeleportError.badParameter('please provide an output location using --out');
  const ttlText = cmd.string('ttl') ?? '12h';
  const ttl = parseGoDuration(ttlText);
  if (ttl === undefined) throw TeleportError.badParameter(`time: invalid duration "${ttlText}"`);
  const state = ctx.read();
  const checker = tctlChecker(cmd, ctx, state);
  const user = state.users.find((u) => u.metadata.name === target);
  if (!user) throw notFound('user', target);
  if (!checker.canImpersonate(target))
    throw TeleportError.accessDenied('access denied: impersonation is not allowed');
  const notAfter = ctx.now().getTime() + ttl;
  writeIdentityFile(out, { user: target, cluster: state.cluster.name, notAfter });
  ctx.audit.emit({
    event: 'cert.create',
    code: 'TC000I',
    user: checker.username,
    cert_type: 'user',
    identity: {
      user: target,
      roles: user.spec.roles ?? [],
      expires: rfc3339Nano(new Date(notAfter)),
    },
  });
  ctx.out(`\nThe credentials have been written to ${format === 'file' ? out : resolve(out)}\n`);
}
