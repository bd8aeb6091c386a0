// `tctl requests ls|get|approve|deny|rm` (tool/tctl/common/access_request_command.go).
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { AsciiTable } from '../format/ascii-table.js';
import { goJson } from '../format/go-json.js';
import { goDuration, rfc822 } from '../format/go-time.js';
import { findRequest, reviewRequest, stateName } from '../requests/access-requests.js';
import type { Resource } from '../state/sim-state.js';
import { tctlChecker } from './tctl-session.js';

function requestsTable(requests: Resource[], now: Date): string {
  const t = AsciiTable.withHeaders([
    'Token',
    'Requestor',
    'Metadata',
    'Resources',
    'Created At (UTC)',
    'Request TTL',
    'Session TTL',
    'Status',
    'Request Reason',
    'Resolve Reason',
  ]);
  const until = (v: unknown): string =>
    typeof v === 'string'
      ? goDuration(
          Math.max(0, Math.round((new Date(v).getTime() - now.getTime()) / 60_000) * 60_000),
        )
      : '';
  for (const r of requests) {
    t.addRow([
      r.metadata.name,
      String(r.spec.user),
      `roles=${((r.spec.roles as string[] | undefined) ?? []).join(',')}`,
      '',
      rfc822(new Date(String(r.spec.created))),
      until(r.spec.expires),
      until(r.spec.session_ttl),
      stateName(r),
      typeof r.spec.request_reason === 'string' ? JSON.stringify(r.spec.request_reason) : '',
      typeof r.spec.resolve_reason === 'string' ? JSON.stringify(r.spec.resolve_reason) : '',
    ]);
  }
  return t.render();
}

export function requestsLsCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const state = ctx.read();
  tctlChecker(cmd, ctx, state).checkAction('access_request', 'list', 'read');
  const requests = [...state.access_requests].sort((a, b) =>
    String(b.spec.created).localeCompare(String(a.spec.created)),
  );
  if (cmd.string('format') === 'json') ctx.out(goJson(requests, 2) + '\n');
  else ctx.out(requestsTable(requests, ctx.now()));
}

export function requestsGetCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const state = ctx.read();
  tctlChecker(cmd, ctx, state).checkAction('access_request', 'read');
  const requests = cmd
    .args('request-id')
    .flatMap((ids) => ids.split(','))
    .map((id) => findRequest(state, id));
  if (cmd.string('format') === 'json') ctx.out(goJson(requests, 2) + '\n');
  else ctx.out(requestsTable(requests, ctx.now()));
}

function resolve(approve: boolean): (cmd: ParsedCommand, ctx: SimContext) => void {
  return (cmd, ctx) => {
    const ids = (cmd.arg('request-id') ?? '').split(',').filter(Boolean);
    ctx.update((state) => {
      const checker = tctlChecker(cmd, ctx, state);
      checker.checkAction('access_request', 'update');
      for (const id of ids) reviewRequest(state, checker, id, approve, cmd.string('reason'), ctx);
    });
  };
}

export const requestsApproveCommand = resolve(true);
export const requestsDenyCommand = resolve(false);

export function requestsRmCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const ids = (cmd.arg('request-id') ?? '').split(',').filter(Boolean);
  ctx.update((state) => {
    const checker = tctlChecker(cmd, ctx, state);
    checker.checkAction('access_request', 'delete');
    for (const id of ids) {
      findRequest(state, id);
      state.access_requests = state.access_requests.filter((r) => r.metadata.name !== id);
      ctx.audit.emit({
        event: 'access_request.delete',
        code: 'T5003I',
        user: checker.username,
        id,
      });
    }
  });
  ctx.out('Access request deleted successfully.\n');
}
