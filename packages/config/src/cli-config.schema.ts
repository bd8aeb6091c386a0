// tmcpctl's configuration: a small per-user file plus TMCPCTL_* variables; flags win (mergeCliFlags).
import { z } from 'zod';
import { OUTPUT_FORMATS, type CliConfig } from './config-types.js';
import { filePath, hostPort, secret } from './schema-fields.js';

export const cliFileSchema = z.strictObject({
  server: hostPort.optional(),
  token: secret(z.string().trim().min(1, 'must not be empty')).optional(),
  ca: filePath.optional(),
  // A client certificate and its key (PEM files), accepted by a server with grpc.tls.ca_file.
  cert: filePath.optional(),
  key: filePath.optional(),
  insecure: z.boolean().default(false),
  format: z.enum(OUTPUT_FORMATS).default('table'),
});

export type CliFileConfig = z.output<typeof cliFileSchema>;

export function toCliConfig(file: CliFileConfig): CliConfig {
  return {
    ...(file.server === undefined ? {} : { server: file.server }),
    ...(file.token === undefined ? {} : { token: file.token }),
    ...(file.ca === undefined ? {} : { ca: file.ca }),
    ...(file.cert === undefined ? {} : { cert: file.cert }),
    ...(file.key === undefined ? {} : { key: file.key }),
    insecure: file.insecure,
    format: file.format,
  };
}
