import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseStatus } from './gen/tmcp/admin/v1/admin_pb.js';
import { LeaseKind } from './gen/tmcp/agent/v1/agent_pb.js';
import {
  LEASE_KIND_BY_NAME,
  LEASE_STATUS_BY_NAME,
  leaseKindName,
  leaseStatusName,
} from './lease-names.js';

describe('lease names', () => {
  it('every wire kind but UNSPECIFIED has exactly one name, and back', () => {
    const kinds = Object.values(LeaseKind).filter(
      (v): v is LeaseKind => typeof v === 'number' && v !== LeaseKind.UNSPECIFIED,
    );
    assert.equal(Object.keys(LEASE_KIND_BY_NAME).length, kinds.length);
    for (const kind of kinds) {
      const name = leaseKindName(kind);
      assert.ok(name !== undefined, `kind ${kind}`);
      assert.equal(LEASE_KIND_BY_NAME[name], kind);
    }
    assert.equal(leaseKindName(LeaseKind.UNSPECIFIED), undefined);
    assert.equal(leaseKindName(999 as LeaseKind), undefined);
  });

  it('every wire status but UNSPECIFIED has exactly one name, and back', () => {
    const statuses = Object.values(LeaseStatus).filter(
      (v): v is LeaseStatus => typeof v === 'number' && v !== LeaseStatus.UNSPECIFIED,
    );
    assert.equal(Object.keys(LEASE_STATUS_BY_NAME).length, statuses.length);
    for (const status of statuses) {
      const name = leaseStatusName(status);
      assert.ok(name !== undefined, `status ${status}`);
      assert.equal(LEASE_STATUS_BY_NAME[name], status);
    }
    assert.equal(leaseStatusName(LeaseStatus.UNSPECIFIED), undefined);
  });

  it('names are the snake_case of the enum names', () => {
    assert.equal(leaseKindName(LeaseKind.PROXY_DB), 'proxy_db');
    assert.equal(leaseKindName(LeaseKind.MCP_DB), 'mcp_db');
    assert.equal(leaseStatusName(LeaseStatus.EXPIRED), 'expired');
  });
});
