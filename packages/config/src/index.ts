export * from './config-types.js';
export { ConfigError, type ConfigIssue } from './config-error.js';
export { normalizeDatabaseUrl } from './database-url.js';
export {
  loadServerConfig,
  loadAgentConfig,
  loadCliConfig,
  parseServerConfig,
  parseAgentConfig,
  parseCliConfig,
  mergeCliFlags,
} from './config-loader.js';
export { redactConfig, formatConfig } from './redact-config.js';
