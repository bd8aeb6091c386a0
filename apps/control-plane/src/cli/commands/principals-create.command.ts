import { loadServerConfig } from '@tmcp/config';
import { systemClock } from '../../common/clock.js';
import { connectDataSource } from '../../database/data-source.js';
import { PrincipalEntity, type PrincipalKind, RoleEntity } from '../../database/entities/index.js';
import { ensureSchemaUpToDate } from '../../database/schema-state.js';
import { createLogger } from '../../logging/create-logger.js';
import { PrincipalsService } from '../../principals/principals.service.js';
import type { CliIo } from '../cli-io.js';
import { parseExpiry } from '../parse-expiry.js';

export interface PrincipalsCreateOptions {
  config?: string | undefined;
  name: string;
  role?: string | undefined;
  kind: PrincipalKind;
  expires?: string | undefined;
  json?: boolean | undefined;
}

export async function principalsCreateCommand(
  options: PrincipalsCreateOptions,
  io: CliIo,
): Promise<void> {
  const config = loadServerConfig({ file: options.config, env: io.env });
  const expiresAt =
    options.expires === undefined ? undefined : parseExpiry(options.expires, systemClock.now());
  // Logs would mix with the key on stdout: only warnings and worse.
  const logger = createLogger('warn');
  const dataSource = await connectDataSource(config.database, logger);
  try {
    await ensureSchemaUpToDate(dataSource, false, logger);
    const principals = new PrincipalsService(
      dataSource.getRepository(PrincipalEntity),
      dataSource.getRepository(RoleEntity),
      systemClock,
    );
    const { principal, apiKey } = await principals.create({
      name: options.name,
      kind: options.kind,
      role: options.role,
      expiresAt,
      createdBy: 'tmcp-server principals create',
    });
    if (options.json === true) {
      const out = {
        principal_id: principal.id,
        name: principal.name,
        role: principal.role,
        kind: principal.kind,
        api_key: apiKey,
        expires_at: principal.expiresAt?.toISOString() ?? null,
      };
      io.stdout(`${JSON.stringify(out)}\n`);
      return;
    }
    const expiry =
      principal.expiresAt === null
        ? 'never expires'
        : `expires ${principal.expiresAt.toISOString()}`;
    io.stdout(
      `created ${principal.kind} principal "${principal.name}" (id ${principal.id}, role ${principal.role}, ${expiry})\n` +
        `API key (shown only now; store it safely):\n${apiKey}\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}
