// `tsh request ls|show|create|review|drop` (tool/tsh/common/access_request.go).
import { setTimeout as delay } from 'node:timers/promises';
import type { ParsedCommand } from '../cli/kingpin-parser.js';
import type { SimContext } from '../cli/sim-context.js';
import { TeleportError } from '../cli/teleport-error.js';
import { AsciiTable } from '../format/ascii-table.js';
import { goJson } from '../format/go-json.js';
import { dateTime, goDuration, parseGoDuration, rfc822 } from '../format/go-time.js';
import { goYaml } from '../format/go-yaml.js';
import {
  APPROVED,
  createRequest,
  DENIED,
  findRequest,
  PENDING,
  reviewRequest,
  stateName,
} from '../requests/access-requests.js';
import type { Resource } from '../state/sim-state.js';
import { statusCommand } from './info-commands.js';
import { reissueWithRequests, tshSession } from './tsh-session.js';

const LOGIN_HINT =
  "hint: use 'tsh login --request-id=<request-id>' to login with an approved request\n";

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function resourceIds(request: Resource): string[] {
  return (Array.isArray(request.spec.resource_ids) ? request.spec.resource_ids : []).map((r) => {
    const id = r as Record<string, string | undefined>;
    return `/${id.cluster ?? ''}/${id.kind ?? ''}/${id.name ?? ''}${id.sub_resource ? `/${id.sub_resource}` : ''}`;
  });
}

/** `printRequest`: the headless summary table, reviews, hint. */
function requestDetails(request: Resource): string {
  const t = AsciiTable.headless(2);
  t.addRow(['Request ID:', request.metadata.name]);
  t.addRow(['Username:', String(request.spec.user)]);
  t.addRow(['Roles:', list(request.spec.roles).join(', ')]);
  const resources = resourceIds(request);
  if (resources.length) t.addRow(['Resources:', resources.join(', ')]);
  const reason =
    typeof request.spec.request_reason === 'string'
      ? JSON.stringify(request.spec.request_reason)
      : '[none]';
  t.addRow(['Reason:', reason]);
  const reviewers = list(request.spec.suggested_reviewers);
  t.addRow(['Reviewers:', `${reviewers.length ? reviewers.join(', ') : '[none]'} (suggested)`]);
  if (typeof request.spec.expires === 'string')
    t.addRow(['Access Expires:', dateTime(new Date(request.spec.expires))]);
  t.addRow(['Status:', stateName(request)]);
  let out = t.render();
  const reviews = (Array.isArray(request.spec.reviews) ? request.spec.reviews : []) as Record<
    string,
    unknown
  >[];
  for (const [title, proposed] of [
    ['Approvals', APPROVED],
    ['Denials', DENIED],
  ] as const) {
    const matching = reviews.filter((r) => r.proposed_state === proposed);
    if (matching.length === 0) continue;
    out += `------------------------------------------------\n${title}:\n`;
    for (const review of matching) {
      out += `  ----------------------------------------------\n  Reviewer: ${String(review.author)}\n`;
      if (typeof review.reason === 'string')
        out += `  Reason:   ${JSON.stringify(review.reason)}\n`;
    }
  }
  return out;
}

function untilRounded(value: unknown, now: Date): string {
  if (typeof value !== 'string') return '';
  return goDuration(
    Math.max(0, Math.round((new Date(value).getTime() - now.getTime()) / 60_000) * 60_000),
  );
}

export function requestLsCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const session = tshSession(cmd, ctx);
  const now = ctx.now();
  const mine = (r: Resource): boolean => r.spec.user === session.claims.user;
  const reviewable = (r: Resource): boolean =>
    !mine(r) && session.checker.canReviewRoles(list(r.spec.roles));
  const requests = session.state.access_requests
    .filter((r) => {
      if (cmd.bool('my-requests')) return mine(r);
      if (cmd.bool('reviewable')) return reviewable(r);
      if (cmd.bool('suggested'))
        return list(r.spec.suggested_reviewers).includes(session.claims.user);
      return mine(r) || reviewable(r);
    })
    .filter(
      (r) =>
        typeof r.spec.expires !== 'string' || new Date(r.spec.expires).getTime() > now.getTime(),
    )
    .sort((a, b) => String(b.spec.created).localeCompare(String(a.spec.created)));
  switch (cmd.string('format') ?? 'text') {
    case 'json':
      ctx.out(goJson(requests, 2));
      return;
    case 'yaml':
      ctx.out(goYaml(requests));
      return;
    default: {
      const t = AsciiTable.withColumns([
        { title: 'ID' },
        { title: 'User' },
        { title: 'Roles', maxCellLength: 20, footnoteLabel: '[+]' },
        { title: 'Resources', maxCellLength: 20, footnoteLabel: '[+]' },
        { title: 'Created At (UTC)' },
        { title: 'Request TTL' },
        { title: 'Session TTL' },
        { title: 'Assume Time (UTC)' },
        { title: 'Status' },
      ]);
      t.addFootnote(
        '[+]',
        "Columns are truncated, use 'tsh request show <request-id>' to view the full list",
      );
      for (const r of requests) {
        t.addRow([
          r.metadata.name,
          String(r.spec.user),
          list(r.spec.roles).join(','),
          resourceIds(r).join(','),
          rfc822(new Date(String(r.spec.created))),
          untilRounded(r.metadata.expires, now),
          untilRounded(r.spec.session_ttl, now),
          '',
          stateName(r),
        ]);
      }
      ctx.out(
        t.render() +
          "\nhint: use 'tsh request show <request-id>' for additional details\n" +
          "      use 'tsh login --request-id=<request-id>' to login with an approved request\n",
      );
    }
  }
}

export function requestShowCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const session = tshSession(cmd, ctx);
  const request = findRequest(session.state, cmd.arg('request-id') ?? '');
  switch (cmd.string('format') ?? 'text') {
    case 'json':
      ctx.out(goJson(request, 2));
      return;
    case 'yaml':
      ctx.out(goYaml(request));
      return;
    default:
      ctx.out(requestDetails(request) + '\n' + LOGIN_HINT);
  }
}

const POLL_MS = 250;

export async function requestCreateCommand(
  cmd: ParsedCommand,
  ctx: SimContext,
): Promise<number | void> {
  const session = tshSession(cmd, ctx);
  const roles = (cmd.string('roles') ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const ttlText = cmd.string('request-ttl') ?? cmd.string('session-ttl');
  const ttl = ttlText ? parseGoDuration(ttlText) : 12 * 3_600_000;
  if (ttl === undefined)
    throw TeleportError.badParameter(`time: invalid duration "${ttlText ?? ''}"`);
  const request = ctx.update((state) =>
    createRequest(
      state,
      session.checker,
      {
        roles,
        resourceIds: cmd.strings('resource'),
        reason: cmd.string('reason'),
        reviewers: (cmd.string('reviewers') ?? '')
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean),
        ttlMs: ttl,
      },
      ctx,
    ),
  );
  await ctx.audit.flush();
  ctx.out('Creating request...\n' + requestDetails(request) + '\n' + LOGIN_HINT);
  if (cmd.bool('nowait')) return;
  ctx.out('\nWaiting for request approval...\n');
  const id = request.metadata.name;
  for (;;) {
    const current = findRequest(ctx.read(), id);
    if (current.spec.state === APPROVED) {
      ctx.err('\nApproval received, getting updated certificates...\n\n');
      const current = tshSession(cmd, ctx);
      const active = current.claims.activeRequests ?? [];
      reissueWithRequests(cmd, ctx, current, [...active.filter((a) => a !== id), id]);
      return statusCommand(cmd, ctx);
    }
    if (current.spec.state === DENIED) {
      const reason =
        typeof current.spec.resolve_reason === 'string'
          ? `, reason="${current.spec.resolve_reason}"`
          : '';
      throw TeleportError.accessDenied(`request ${id} has been set to DENIED${reason}`);
    }
    const stop = await Promise.race([
      delay(POLL_MS).then(() => false),
      ctx.io.signal.then(() => true),
    ]);
    if (stop) return 0;
  }
}

export function requestReviewCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const session = tshSession(cmd, ctx);
  const approve = cmd.bool('approve');
  const deny = cmd.bool('deny');
  if (approve === deny)
    throw TeleportError.badParameter("must supply exactly one of '--approve' or '--deny'");
  const id = cmd.arg('request-id') ?? '';
  const before = findRequest(session.state, id).spec.state;
  const after = ctx.update((state) =>
    reviewRequest(state, session.checker, id, approve, cmd.string('reason'), ctx),
  );
  const proposed = approve ? 'APPROVED' : 'DENIED';
  if (before === PENDING || after === proposed) {
    ctx.err(`Successfully submitted review.  Request state: ${after}\n`);
  } else {
    ctx.err(`Warning: ineffectual review. Request state: ${after}\n`);
  }
}

/**
 * `onRequestDrop`: the banner, then certificates re-issued without the dropped requests (`*`,
 * the default, drops them all), then the status. IDs the certificate does not carry are
 * dropped silently, as the auth server ignores them.
 */
export function requestDropCommand(cmd: ParsedCommand, ctx: SimContext): void {
  const session = tshSession(cmd, ctx);
  const given = cmd.args('request-id');
  const ids = given.length === 0 ? ['*'] : given;
  if (ids.length === 1 && ids[0] === '*') ctx.out('Dropping all active access requests...\n\n');
  else ctx.out(`Dropping access request(s): ${ids.join(', ')}...\n\n`);
  const active = session.claims.activeRequests ?? [];
  const kept = ids.includes('*') ? [] : active.filter((a) => !ids.includes(a));
  reissueWithRequests(cmd, ctx, session, kept);
  statusCommand(cmd, ctx);
}
