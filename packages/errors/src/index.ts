export * from './app-error.js';
export * from './mappings.js';
