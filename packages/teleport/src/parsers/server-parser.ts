// `tctl get nodes` / `tctl get proxies` (ServerV2, TELEPORT.md §2.1, §2.8) and `tsh ls`.
import { z } from 'zod';
import {
  asJson,
  bool,
  looseRecord,
  metadataSchema,
  optionalString,
  orEmpty,
  parseList,
  stringList,
} from './tolerant-schemas.js';

export interface TeleportNode {
  /** The node UUID (metadata.name). */
  name: string;
  hostname: string;
  addr: string;
  labels: Record<string, string>;
  /** Dynamic labels: name → last command result. */
  commandLabels: Record<string, string>;
  version?: string;
  /** `teleport` (agent), `openssh`, `openssh-ec2-ice`. */
  subKind?: string;
  useTunnel: boolean;
  publicAddrs: string[];
  expires?: string;
}

export interface TeleportProxy {
  name: string;
  hostname: string;
  addr: string;
  version?: string;
  publicAddrs: string[];
  labels: Record<string, string>;
}

const serverSchema = z.looseObject({
  kind: optionalString,
  sub_kind: optionalString,
  metadata: metadataSchema,
  spec: orEmpty(
    z.looseObject({
      addr: optionalString,
      hostname: optionalString,
      cmd_labels: looseRecord,
      use_tunnel: bool,
      version: optionalString,
      public_addrs: stringList,
      public_addr: optionalString,
    }),
  ),
});

type Server = z.output<typeof serverSchema>;

function commandLabels(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const result = v !== null && typeof v === 'object' ? (v as { result?: unknown }).result : v;
    out[k] = typeof result === 'string' ? result : '';
  }
  return out;
}

function publicAddrs(s: Server): string[] {
  const addrs = [...s.spec.public_addrs];
  if (s.spec.public_addr && !addrs.includes(s.spec.public_addr)) addrs.push(s.spec.public_addr);
  return addrs;
}

export function parseNodes(input: unknown): TeleportNode[] {
  return parseList(asJson(input, 'tctl get nodes'), serverSchema, 'node').map((s) => ({
    name: s.metadata.name,
    hostname: s.spec.hostname ?? '',
    addr: s.spec.addr ?? '',
    labels: s.metadata.labels,
    commandLabels: commandLabels(s.spec.cmd_labels),
    ...(s.spec.version === undefined ? {} : { version: s.spec.version }),
    ...(s.sub_kind === undefined ? {} : { subKind: s.sub_kind }),
    useTunnel: s.spec.use_tunnel,
    publicAddrs: publicAddrs(s),
    ...(s.metadata.expires === undefined ? {} : { expires: s.metadata.expires }),
  }));
}

export function parseProxies(input: unknown): TeleportProxy[] {
  return parseList(asJson(input, 'tctl get proxies'), serverSchema, 'proxy').map((s) => ({
    name: s.metadata.name,
    hostname: s.spec.hostname ?? '',
    addr: s.spec.addr ?? '',
    ...(s.spec.version === undefined ? {} : { version: s.spec.version }),
    publicAddrs: publicAddrs(s),
    labels: s.metadata.labels,
  }));
}
