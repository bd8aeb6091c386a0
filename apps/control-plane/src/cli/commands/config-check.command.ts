import { formatConfig, loadServerConfig } from '@tmcp/config';
import type { CliIo } from '../cli-io.js';

export interface ConfigCheckOptions {
  config?: string | undefined;
}

/** Prints the effective configuration (secrets redacted), or throws the list of every problem. */
export function configCheckCommand(options: ConfigCheckOptions, io: CliIo): void {
  const config = loadServerConfig({ file: options.config, env: io.env });
  const text = formatConfig(config);
  io.stdout(text.endsWith('\n') ? text : `${text}\n`);
}
