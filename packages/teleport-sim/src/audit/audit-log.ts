// Teleport-shaped audit events: appended to the state file (bounded) and, when
// TELEPORT_SIM_EVENT_FORWARD_URL is set, POSTed one by one as JSON the way the
// teleport-event-handler plugin feeds fluentd. Forwarding failures never fail the command.
import { randomUUID } from 'node:crypto';
import { rfc3339Nano } from '../format/go-time.js';
import { MAX_EVENTS, type AuditEvent } from '../state/sim-state.js';
import type { StateFile } from '../state/state-file.js';

export interface AuditEventFields {
  event: string;
  code: string;
  user?: string;
  [key: string]: unknown;
}

const FORWARD_TIMEOUT_MS = 2000;

export class AuditLog {
  private pending: AuditEvent[] = [];

  constructor(
    private readonly state: () => StateFile,
    private readonly clusterName: () => string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly now: () => Date,
  ) {}

  emit(fields: AuditEventFields): AuditEvent {
    const { event, code, ...rest } = fields;
    const record: AuditEvent = {
      code,
      ei: 0,
      event,
      time: rfc3339Nano(this.now()),
      uid: randomUUID(),
      cluster_name: this.clusterName(),
      ...rest,
    };
    this.pending.push(record);
    return record;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Stores and forwards everything emitted since the last flush. */
  async flush(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.state().update((s) => {
      s.events.push(...batch);
      if (s.events.length > MAX_EVENTS) s.events.splice(0, s.events.length - MAX_EVENTS);
    });
    const url = this.env.TELEPORT_SIM_EVENT_FORWARD_URL;
    if (!url) return;
    const token = this.env.TELEPORT_SIM_EVENT_FORWARD_TOKEN;
    for (const event of batch) {
      try {
        await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
        });
      } catch {
        // The collector being down must not break the command, as with the real plugin.
      }
    }
  }
}
