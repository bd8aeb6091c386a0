export * from './control-plane-process.js';
export * from './paths.js';
export * from './sim-cluster.js';
export * from './test-database.js';
export * from './test-oidc-issuer.js';
export * from './redis-keys.js';
