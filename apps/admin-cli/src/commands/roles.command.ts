import { readFileSync } from 'node:fs';
import type { JsonObject } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { AppError } from '@tmcp/errors';
import { parseRoleDefinition } from '@tmcp/policy';
import {
  GetRoleResponseSchema,
  ListRolesResponseSchema,
  UpsertRoleResponseSchema,
  type Role,
} from '@tmcp/proto';
import YAML from 'yaml';
import { renderFields } from '../output/table.js';
import { rolesTable } from '../output/views.js';
import { printListing, withPageOptions, type ContextOf, type PageOptions } from './command-kit.js';

export function registerRolesCommands(program: Command, contextOf: ContextOf): void {
  const roles = program.command('roles').description('list, show, apply and remove roles');

  withPageOptions(roles.command('ls').description('list built-in and custom roles')).action(
    async (options: PageOptions, command: Command) => {
      const ctx = contextOf(command);
      await printListing<Role, typeof ListRolesResponseSchema>(ctx, options, {
        fetch: async (pageSize, pageToken) => {
          const page = await ctx.client().listRoles({ pageSize, pageToken });
          return { items: page.roles, next: page.nextPageToken };
        },
        schema: ListRolesResponseSchema,
        response: (roles, nextPageToken) => ({ roles, nextPageToken }),
        table: (items) => rolesTable(items, ctx.io.columns),
      });
    },
  );

  roles
    .command('show')
    .description('show one role with its constraints')
    .argument('<name>', 'the role name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const res = await ctx.waiting('loading', ctx.client().getRole({ name }));
      ctx.print(GetRoleResponseSchema, res, () => roleView(res.role, ctx.io.columns));
    });

  roles
    .command('apply')
    .description('create or replace a custom role from a YAML file (validated here first)')
    .requiredOption(
      '-f, --file <role.yaml>',
      'the role definition (name, description, allow, deny, constraints, requireTicket)',
    )
    .action(async (options: { file: string }, command: Command) => {
      const ctx = contextOf(command);
      const role = readRoleFile(options.file);
      const { requireTicket, constraints, ...rest } = role;
      const res = await ctx.waiting(
        'applying',
        ctx.client().upsertRole({
          role: {
            ...rest,
            constraints: {
              ...(constraints as unknown as JsonObject),
              ...(requireTicket === undefined
                ? {}
                : { requireTicket: requireTicket as unknown as JsonObject }),
            },
          },
        }),
      );
      ctx.print(
        UpsertRoleResponseSchema,
        res,
        () => `role "${res.role?.name ?? role.name}" ${res.created ? 'created' : 'updated'}\n`,
      );
    });

  roles
    .command('rm')
    .description('delete a custom role (refused while principals hold it)')
    .argument('<name>', 'the role name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      await ctx.waiting('deleting', ctx.client().deleteRole({ name }));
      if (ctx.format === 'table') ctx.io.stdout(`role "${name}" deleted\n`);
      else ctx.io.stdout(ctx.serialize({ deleted: name }));
    });
}

/** Reads and validates a role file; nothing is sent when it is not a valid role. */
export function readRoleFile(file: string): ReturnType<typeof parseRoleDefinition> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new AppError(
      'bad_parameter',
      `cannot read ${file} (${typeof code === 'string' ? code : 'unreadable'})`,
      { cause: error },
    );
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text, { uniqueKeys: true });
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : 'not YAML';
    throw new AppError('bad_parameter', `${file}: not valid YAML: ${detail ?? ''}`, {
      cause: error,
    });
  }
  try {
    return parseRoleDefinition(raw);
  } catch (error) {
    if (error instanceof AppError)
      throw new AppError('bad_parameter', `${file}: ${error.message}`, { cause: error });
    throw error;
  }
}

function roleView(role: Role | undefined, width: number): string {
  if (role === undefined) return '\n';
  return (
    renderFields(
      [
        ['Name', role.name],
        ['Type', role.builtin ? 'built-in' : 'custom'],
        ['Description', role.description || '-'],
        ['Allow', role.allow.join(', ') || '-'],
        ['Deny', role.deny.join(', ') || '-'],
      ],
      width,
    ) + `Constraints:\n${YAML.stringify(role.constraints ?? {}).replace(/^/gm, '  ')}`
  );
}
