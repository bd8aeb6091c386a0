// `tctl get apps` (AppV3, TELEPORT.md §2.7; MCP apps §1.7) and `tctl get db` / `tsh db ls`
// (DatabaseV3 — its JSON is not transcribed in TELEPORT.md, so only the stable fields are read).
import { z } from 'zod';
import {
  asJson,
  bool,
  metadataSchema,
  optionalString,
  parseList,
  stringList,
} from './tolerant-schemas.js';

export type McpTransport = 'stdio' | 'sse' | 'streamable-http';

export interface TeleportApp {
  name: string;
  description?: string;
  labels: Record<string, string>;
  uri: string;
  publicAddr?: string;
  subKind?: string;
  insecureSkipVerify: boolean;
  /** Whether this app is an MCP server (sub_kind `mcp` or an `mcp+…` URI). */
  isMcp: boolean;
  mcpTransport?: McpTransport;
  mcp?: { command?: string; args: string[]; runAsHostUser?: string };
}

export interface TeleportDatabase {
  name: string;
  description?: string;
  labels: Record<string, string>;
  /** `postgres`, `mysql`, `mongodb`, `cockroachdb`, … */
  protocol: string;
  uri: string;
}

/** `mcp+stdio://` → stdio, `mcp+sse+http(s)://` → SSE, `mcp+http(s)://` → Streamable HTTP. */
export function mcpTransportOf(uri: string): McpTransport | undefined {
  const scheme = uri.slice(0, Math.max(0, uri.indexOf('://'))).toLowerCase();
  if (scheme === 'mcp+stdio') return 'stdio';
  if (scheme.startsWith('mcp+sse+')) return 'sse';
  if (scheme === 'mcp+http' || scheme === 'mcp+https') return 'streamable-http';
  return undefined;
}

const mcpSpecSchema = z.looseObject({
  command: optionalString,
  args: stringList,
  run_as_host_user: optionalString,
});

export const appSchema = z.looseObject({
  sub_kind: optionalString,
  metadata: metadataSchema,
  spec: z
    .looseObject({
      uri: optionalString,
      public_addr: optionalString,
      insecure_skip_verify: bool,
      mcp: mcpSpecSchema.nullish(),
    })
    .nullish()
    .transform(
      (s) =>
        s ?? {
          uri: undefined,
          public_addr: undefined,
          insecure_skip_verify: false,
          mcp: undefined,
        },
    ),
});

export type RawApp = z.output<typeof appSchema>;

export function appFromRaw(a: RawApp): TeleportApp {
  const uri = a.spec.uri ?? '';
  const transport = mcpTransportOf(uri);
  const isMcp =
    a.sub_kind === 'mcp' ||
    transport !== undefined ||
    a.metadata.labels['teleport.internal/app-sub-kind'] === 'mcp';
  const m = a.spec.mcp;
  return {
    name: a.metadata.name,
    ...(a.metadata.description === undefined ? {} : { description: a.metadata.description }),
    labels: a.metadata.labels,
    uri,
    ...(a.spec.public_addr === undefined ? {} : { publicAddr: a.spec.public_addr }),
    ...(a.sub_kind === undefined ? {} : { subKind: a.sub_kind }),
    insecureSkipVerify: a.spec.insecure_skip_verify,
    isMcp,
    ...(transport === undefined ? {} : { mcpTransport: transport }),
    ...(m
      ? {
          mcp: {
            ...(m.command === undefined ? {} : { command: m.command }),
            args: m.args,
            ...(m.run_as_host_user === undefined ? {} : { runAsHostUser: m.run_as_host_user }),
          },
        }
      : {}),
  };
}

export function parseApps(input: unknown): TeleportApp[] {
  return parseList(asJson(input, 'tctl get apps'), appSchema, 'app').map(appFromRaw);
}

const dbSchema = z.looseObject({
  metadata: metadataSchema,
  spec: z
    .looseObject({ protocol: optionalString, uri: optionalString })
    .nullish()
    .transform((s) => s ?? { protocol: undefined, uri: undefined }),
});

export function parseDatabases(input: unknown): TeleportDatabase[] {
  return parseList(asJson(input, 'tctl get db'), dbSchema, 'db').map((d) => ({
    name: d.metadata.name,
    ...(d.metadata.description === undefined ? {} : { description: d.metadata.description }),
    labels: d.metadata.labels,
    protocol: d.spec.protocol ?? '',
    uri: d.spec.uri ?? '',
  }));
}
