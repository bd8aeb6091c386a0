// @tmcp/teleport: the execution engine for tsh/tctl (DESIGN.md §3.4).
export * from './classify-teleport-error.js';
export * from './cluster-connection.js';
export * from './concurrency-limiter.js';
export * from './parsers/index.js';
export * from './output-truncation.js';
export * from './private-resource-file.js';
export * from './readiness-detectors.js';
export * from './redact.js';
export * from './tctl-argv-builder.js';
export * from './teleport-client-env.js';
export * from './teleport-runner.js';
export * from './tsh-argv-builder.js';
export * from './validators.js';
