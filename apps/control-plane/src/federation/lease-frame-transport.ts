// The byte pipe of one federated MCP lease, as JSON-RPC messages. The agent bridges the stdio of
// `tsh mcp connect` / `tsh mcp db start` as McpFrame chunks: newline-delimited JSON-RPC, cut
// anywhere. This reassembles lines on the way in and writes one whole line per message out.
import { z } from 'zod';

/** Upper bound of one incoming line; a server that sends more is cut off. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

const jsonRpcMessage = z
  .object({
    jsonrpc: z.literal('2.0'),
    id: z.union([z.string(), z.number(), z.null()]).optional(),
    method: z.string().optional(),
    params: z.unknown().optional(),
    result: z.unknown().optional(),
    error: z
      .object({ code: z.number(), message: z.string(), data: z.unknown().optional() })
      .optional(),
  })
  .loose();

export type JsonRpcMessage = z.infer<typeof jsonRpcMessage>;

export interface FrameTransportHandlers {
  onMessage(message: JsonRpcMessage): void;
  /** The pipe is unusable (closed, or the server broke the framing). */
  onClose(reason: string): void;
}

export class LeaseFrameTransport {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private closed = false;
  private handlers: FrameTransportHandlers | undefined;

  /** `write` sends one CP→agent frame. */
  constructor(private readonly write: (data: Uint8Array) => void) {}

  get isClosed(): boolean {
    return this.closed;
  }

  attach(handlers: FrameTransportHandlers): void {
    this.handlers = handlers;
  }

  send(message: Record<string, unknown>): void {
    if (this.closed) return;
    this.write(Buffer.from(`${JSON.stringify(message)}\n`, 'utf8'));
  }

  /** One agent→CP frame. Lines that are not JSON-RPC (stray logging) are skipped. */
  receive(data: Uint8Array): void {
    if (this.closed) return;
    let chunk = Buffer.from(data);
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a)) {
      const line = Buffer.concat([...this.buffered, chunk.subarray(0, nl)]).toString('utf8');
      this.buffered = [];
      this.bufferedBytes = 0;
      chunk = chunk.subarray(nl + 1);
      this.deliver(line);
      if (this.closed) return;
    }
    if (chunk.length === 0) return;
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes > MAX_LINE_BYTES)
      this.close(`the MCP server sent a line longer than ${MAX_LINE_BYTES} bytes`);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.buffered = [];
    this.handlers?.onClose(reason);
  }

  private deliver(line: string): void {
    const text = line.trim();
    if (text === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return;
    }
    const parsed = jsonRpcMessage.safeParse(raw);
    if (parsed.success) this.handlers?.onMessage(parsed.data);
  }
}
