// YAML parsing that reports problems as ConfigIssues with line:column and never quotes the
// offending text (it may be a line holding a password).
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigIssue } from './config-error.js';

export type YamlParseResult = { ok: true; value: unknown } | { ok: false; issues: ConfigIssue[] };

/** `source` names the text in issue paths: a file name or `env TMCP_X`. */
export function parseYamlText(text: string, source: string): YamlParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: `${source}:${line}:${col}`, message: `YAML syntax error: ${error.message}` };
      }),
    };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (error) {
    const message = error instanceof Error ? error.message : 'cannot be converted';
    return { ok: false, issues: [{ path: source, message: `YAML error: ${message}` }] };
  }
}
