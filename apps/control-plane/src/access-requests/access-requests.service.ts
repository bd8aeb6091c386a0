// Access requests through `tsh request …` as the cluster's configured identity (TELEPORT.md
// §2.10). Every value that reaches argv goes through @tmcp/teleport's validators first.
import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@tmcp/errors';
import {
  parseAccessRequest,
  parseAccessRequests,
  parseCreatedRequestId,
  parseTshStatus,
  validateAccessRequestId,
  validateReason,
  validateRequestResourceId,
  validateResourceName,
  validateTicketId,
  validateUsername,
  type AccessRequest,
  type AccessRequestState,
} from '@tmcp/teleport';
import {
  ObservedRunner,
  type CommandObserver,
  type TeleportRunnerSource,
} from '../security/observed-runner.js';
import { TeleportClusters } from '../teleport/teleport-clusters.js';

interface Call {
  cluster?: string;
  observe?: CommandObserver;
}

export interface CreateAccessRequest extends Call {
  roles?: readonly string[];
  resources?: readonly string[];
  reason: string;
  ticket?: string;
  suggestedReviewers?: readonly string[];
}

export interface ReviewOutcome {
  request: AccessRequest;
  /** What tsh reported after the review. */
  state: AccessRequestState;
  /** False when tsh said "ineffectual review" (the request was already resolved otherwise). */
  effective: boolean;
}

export interface DropOutcome {
  id: string;
  /** False when the identity's certificate did not carry the request: nothing changed. */
  dropped: boolean;
  /** The requests still active after the drop, as tsh printed them. */
  activeRequests: string[];
}

/**
 * The active requests in the status block `tsh request drop` prints after re-issuing the
 * certificates: its `Active requests:    a, b` line (TELEPORT.md §2.12), absent when none.
 */
export function activeRequestsAfterDrop(stdout: string): string[] {
  const line = /^\s*Active requests:[ \t]*(.*)$/m.exec(stdout)?.[1] ?? '';
  return line
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

@Injectable()
export class AccessRequestsService {
  constructor(@Inject(TeleportClusters) private readonly clusters: TeleportRunnerSource) {}

  async list(call: Call & { reviewable?: boolean; mine?: boolean } = {}): Promise<AccessRequest[]> {
    const r = this.runner(call);
    const out = await r.run(
      'tsh',
      r.tsh.requestList({
        ...(call.reviewable ? { reviewable: true } : {}),
        ...(call.mine ? { myRequests: true } : {}),
      }),
      { read: true },
    );
    return parseAccessRequests(out.stdout);
  }

  async show(call: Call & { id: string }): Promise<AccessRequest> {
    const r = this.runner(call);
    const out = await r.run('tsh', r.tsh.requestShow(validateAccessRequestId(call.id, 'id')), {
      read: true,
    });
    return parseAccessRequest(out.stdout);
  }

  async create(call: CreateAccessRequest): Promise<AccessRequest> {
    const roles = (call.roles ?? []).map((x, i) => validateResourceName(x, `roles[${i}]`));
    const resources = (call.resources ?? []).map((x, i) =>
      validateRequestResourceId(x, `resources[${i}]`),
    );
    if (roles.length === 0 && resources.length === 0) {
      throw AppError.badParameter(
        'roles',
        'request at least one role or one resource (/<cluster>/<kind>/<name>)',
      );
    }
    // The ticket travels in the Teleport reason so reviewers see it where they decide.
    const ticket = call.ticket === undefined ? undefined : validateTicketId(call.ticket, 'ticket');
    const reason = validateReason(
      ticket === undefined ? call.reason : `${call.reason} [ticket ${ticket}]`,
      'reason',
    );
    const reviewers = (call.suggestedReviewers ?? []).map((x, i) =>
      validateUsername(x, `suggested_reviewers[${i}]`),
    );
    const r = this.runner(call);
    const out = await r.run('tsh', r.tsh.requestCreate({ roles, resources, reason, reviewers }));
    const id = parseCreatedRequestId(out.stdout);
    return this.show({ ...call, id });
  }

  async review(
    call: Call & { id: string; approve: boolean; reason: string },
  ): Promise<ReviewOutcome> {
    const id = validateAccessRequestId(call.id, 'id');
    const reason = validateReason(call.reason, 'reason');
    const r = this.runner(call);
    const out = await r.run(
      'tsh',
      r.tsh.requestReview(id, { decision: call.approve ? 'approve' : 'deny', reason }),
    );
    // tsh prints the outcome on stderr: "Successfully submitted review.  Request state: APPROVED"
    // or "Warning: ineffectual review. Request state: DENIED".
    const m = /Request state:\s*([A-Z]+)/.exec(out.stderr);
    const request = await this.show({ ...call, id });
    return {
      request,
      state: (m?.[1] as AccessRequestState | undefined) ?? request.state,
      effective: !/ineffectual review/i.test(out.stderr),
    };
  }

  /**
   * Drops the request from the identity's active requests (`tsh request drop <id>`). tsh
   * accepts an ID its certificate does not carry and changes nothing, so whether anything was
   * dropped comes from the active requests before (`tsh status`) and those tsh prints after.
   */
  async drop(call: Call & { id: string }): Promise<DropOutcome> {
    const id = validateAccessRequestId(call.id, 'id');
    const r = this.runner(call);
    const before = parseTshStatus((await r.run('tsh', r.tsh.status(), { read: true })).stdout)
      .active?.activeRequests;
    const out = await r.run('tsh', r.tsh.requestDrop([id]));
    const activeRequests = activeRequestsAfterDrop(out.stdout);
    return {
      id,
      dropped: (before ?? []).includes(id) && !activeRequests.includes(id),
      activeRequests,
    };
  }

  private runner(call: Call): ObservedRunner {
    return new ObservedRunner(this.clusters.runner(call.cluster), call.observe);
  }
}
