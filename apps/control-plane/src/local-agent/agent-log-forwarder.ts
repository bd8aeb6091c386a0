// Re-emits the local agent's output in the control plane's log: its pino JSON lines keep their
// level, message and fields (agent_id, lease_id …) under `component: "local-agent"`; any other
// line (a CLI error on stderr) becomes the message of an info (stdout) or warn (stderr) entry.
import type { Logger } from 'pino';

/** A longer partial line is emitted as it is instead of growing without bound. */
const MAX_LINE_CHARS = 64 * 1024;
type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
/** pino's numeric levels. */
const LEVELS: ReadonlyMap<number, Level> = new Map([
  [10, 'trace'],
  [20, 'debug'],
  [30, 'info'],
  [40, 'warn'],
  [50, 'error'],
  [60, 'fatal'],
]);
/** Fields of the agent's own line that the control plane's logger sets itself. */
const OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);

export class AgentLogForwarder {
  private pending = '';

  constructor(
    private readonly logger: Logger,
    private readonly plainLevel: 'info' | 'warn',
  ) {}

  /** Feeds a chunk of output; emits every complete line. */
  write(chunk: string): void {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.emit(line);
    if (this.pending.length > MAX_LINE_CHARS) {
      this.emit(this.pending);
      this.pending = '';
    }
  }

  /** Emits what is left of an unterminated last line (the process exited). */
  flush(): void {
    if (this.pending !== '') this.emit(this.pending);
    this.pending = '';
  }

  private emit(rawLine: string): void {
    const line = rawLine.trimEnd();
    if (line === '') return;
    const parsed = parseAgentLine(line);
    if (parsed === undefined) {
      this.logger[this.plainLevel](line);
      return;
    }
    this.logger[parsed.level](parsed.fields, parsed.msg);
  }
}

interface AgentLogLine {
  level: Level;
  msg: string;
  fields: Record<string, unknown>;
}

/** A pino JSON line of the agent, or undefined for anything else. */
export function parseAgentLine(line: string): AgentLogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const record = raw as Record<string, unknown>;
  const level = levelOf(record.level);
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (!OWN_FIELDS.has(key)) fields[key] = value;
  }
  return { level, msg: typeof record.msg === 'string' ? record.msg : '', fields };
}

function levelOf(value: unknown): Level {
  if (typeof value === 'number') return LEVELS.get(value) ?? 'info';
  if (typeof value === 'string' && [...LEVELS.values()].includes(value as Level)) {
    return value as Level;
  }
  return 'info';
}
