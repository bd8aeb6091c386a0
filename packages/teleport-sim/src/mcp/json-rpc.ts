// Newline-delimited JSON-RPC 2.0 as MCP's stdio transport frames it.
import { createInterface } from 'node:readline';
import { z } from 'zod';

export const jsonRpcMessageSchema = z.looseObject({
  jsonrpc: z.literal('2.0').optional(),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
  method: z.string().optional(),
  params: z.unknown().optional(),
  result: z.unknown().optional(),
  error: z.unknown().optional(),
});

export type JsonRpcMessage = z.infer<typeof jsonRpcMessageSchema>;
export type JsonRpcId = string | number | null;

export const INVALID_PARAMS = -32602;
export const METHOD_NOT_FOUND = -32601;
export const INTERNAL_ERROR = -32603;
export const PARSE_ERROR = -32700;

/** One parsed message, or undefined when the line is not a JSON-RPC object. */
export function parseMessage(line: string): JsonRpcMessage | undefined {
  try {
    const parsed = jsonRpcMessageSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function isRequest(
  m: JsonRpcMessage,
): m is JsonRpcMessage & { id: JsonRpcId; method: string } {
  return m.method !== undefined && m.id !== undefined;
}

export function errorResponse(
  id: JsonRpcId,
  code: number,
  message: string,
  data?: unknown,
): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    error: { code, message, ...(data === undefined ? {} : { data }) },
  });
}

export function resultResponse(id: JsonRpcId, result: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result });
}

/** Calls `onLine` for each line; resolves when the stream ends. */
export function readLines(
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void,
): Promise<void> {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (line.trim() !== '') onLine(line);
  });
  return new Promise((resolve) => rl.once('close', () => resolve()));
}
