// `tmcp-server tokens create [--ttl 15m] [--labels k=v,…] [--json]`: issues a one-time join token
// for `tmcp-agent enroll` (until tmcpctl has `tokens create`), with the agent port address and
// the CA pin the agent should check.
import { loadServerConfig } from '@tmcp/config';
import { AppError } from '@tmcp/errors';
import { CertificateAuthority } from '../../agents/certificate-authority.js';
import { JoinTokensService } from '../../agents/join-tokens.service.js';
import { connectDataSource } from '../../database/data-source.js';
import { ensureSchemaUpToDate } from '../../database/schema-state.js';
import { createLogger } from '../../logging/create-logger.js';
import type { CliIo } from '../cli-io.js';

export interface TokensCreateOptions {
  config?: string | undefined;
  ttl?: string | undefined;
  labels?: string | undefined;
  description?: string | undefined;
  json?: boolean | undefined;
}

export async function tokensCreateCommand(options: TokensCreateOptions, io: CliIo): Promise<void> {
  const config = loadServerConfig({ file: options.config, env: io.env });
  const ttlSeconds =
    options.ttl === undefined ? undefined : parseDurationSeconds(options.ttl, '--ttl');
  const labels = options.labels === undefined ? {} : parseLabels(options.labels);
  const logger = createLogger('warn');
  const ca = await CertificateAuthority.loadOrCreate(config.agentService.caDir);
  const dataSource = await connectDataSource(config.database, logger);
  try {
    await ensureSchemaUpToDate(dataSource, false, logger);
    const tokens = new JoinTokensService(dataSource, config);
    const { token, info } = await tokens.create({
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      labels,
      ...(options.description === undefined ? {} : { description: options.description }),
      createdBy: 'tmcp-server tokens create',
    });
    const host =
      config.agentService.host === '0.0.0.0' || config.agentService.host === '::'
        ? '<this-host>'
        : config.agentService.host;
    const server = `${host}:${config.agentService.port}`;
    if (options.json === true) {
      io.stdout(
        `${JSON.stringify({
          token_id: info.tokenId,
          token,
          expires_at: info.expiresAt.toISOString(),
          labels: info.labels,
          server,
          ca_pin: ca.pin,
        })}\n`,
      );
      return;
    }
    io.stdout(
      `join token (shown only now; single use, expires ${info.expiresAt.toISOString()}):\n${token}\n\n` +
        `enroll an agent with:\n  tmcp-agent enroll --server ${server} --token ${token} --ca-pin ${ca.pin}\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}

/** `90s`, `15m`, `2h`, `1d`, `1h30m` or plain seconds. */
export function parseDurationSeconds(text: string, flag: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (match === null || text === '')
    throw AppError.badParameter(flag, 'must be a duration like 15m, 2h or 1h30m');
  const [, d = '0', h = '0', m = '0', s = '0'] = match;
  const seconds = Number(d) * 86_400 + Number(h) * 3_600 + Number(m) * 60 + Number(s);
  if (seconds <= 0) throw AppError.badParameter(flag, 'must be longer than 0 seconds');
  return seconds;
}

/** `k=v,k2=v2`. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw AppError.badParameter('--labels', `"${part}" must have the form key=value`);
    labels[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return labels;
}
