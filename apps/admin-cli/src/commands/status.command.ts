import type { Command } from 'commander';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  GetAuditIngestStatusResponseSchema,
  GetStatusResponseSchema,
  type AuditIngestReplicaCounters,
} from '@tmcp/proto';
import { renderFields } from '../output/table.js';
import { formatSpan, formatWhen } from '../output/time-format.js';
import type { ContextOf } from './command-kit.js';

export function registerStatusCommands(program: Command, contextOf: ContextOf): void {
  program
    .command('status')
    .description(
      'control plane health: version, Postgres, Redis, migrations, agents online, active leases',
    )
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const status = await ctx.waiting('checking', ctx.client().getStatus({}));
      ctx.print(GetStatusResponseSchema, status, () => {
        const health = (h: { ok: boolean; message: string } | undefined): string =>
          h === undefined ? 'unknown' : h.ok ? 'ok' : `FAILED: ${h.message}`;
        return renderFields(
          [
            ['Server', `${status.serverVersion} (replica ${status.replica || '-'})`],
            [
              'Server time',
              formatWhen(
                status.serverTime === undefined ? undefined : timestampDate(status.serverTime),
                ctx.now(),
              ),
            ],
            ['Postgres', health(status.postgres)],
            ['Redis', health(status.redis)],
            ['Migrations', health(status.migrations)],
            ['Agents online', String(status.agentsOnline)],
            ['Active leases', String(status.activeLeases)],
          ],
          ctx.io.columns,
        );
      });
    });

  program
    .command('audit')
    .description('the Teleport audit event ingest')
    .command('ingest-status')
    .description('what the audit event endpoint received recently')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const s = await ctx.waiting('loading', ctx.client().getAuditIngestStatus({}));
      ctx.print(GetAuditIngestStatusResponseSchema, s, () => {
        const t = (v: typeof s.newestEventTime): string =>
          formatWhen(v === undefined ? undefined : timestampDate(v), ctx.now());
        return renderFields(
          [
            ['Enabled', s.enabled ? 'yes' : 'no (set audit.ingest_token)'],
            ['Events stored', String(s.eventsStored)],
            ['Oldest event', t(s.oldestEventTime)],
            ['Newest event', t(s.newestEventTime)],
            ['Last received', t(s.lastReceivedAt)],
            [
              'Retention',
              s.retention === undefined ? '-' : formatSpan(Number(s.retention.seconds) * 1000),
            ],
            ['Stored, 1h', String(s.storedLastHour)],
            ['Stored, 24h', String(s.storedLastDay)],
            [
              'Top types, 24h',
              s.topEventTypesLastDay.map((e) => `${e.event} ${e.count}`).join(', ') || '-',
            ],
            ...replicaLines(s.thisReplica),
          ],
          ctx.io.columns,
        );
      });
    });
}

/** The answering replica's own counters (duplicates and refusals are only counted there). */
function replicaLines(r: AuditIngestReplicaCounters | undefined): [string, string][] {
  if (r === undefined) return [];
  return [
    ['Replica', r.replica],
    [
      'Replica counts',
      `received ${r.received}, dup ${r.duplicates}, rejected ${r.rejected}, unauth ${r.unauthorized}, failed ${r.failed}`,
    ],
    ...(r.lastError === '' ? [] : [['Last error', r.lastError] as [string, string]]),
  ];
}
