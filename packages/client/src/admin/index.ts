export {
  createAdminClient,
  DEFAULT_ADMIN_DEADLINE_MS,
  IDEMPOTENT_ADMIN_METHODS,
  type AdminClient,
  type AdminClientOptions,
} from './admin-client.js';
export {
  adminCallMetadata,
  REASON_KEY,
  TICKET_KEY,
  type AdminCallAudit,
} from './admin-call-metadata.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, type Sleep } from './admin-retry.js';
