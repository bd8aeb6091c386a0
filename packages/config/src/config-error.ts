// Every problem found in a configuration (YAML syntax, schema, environment overrides), reported
// together so an operator fixes them in one pass instead of one restart per mistake.
import { AppError } from '@tmcp/errors';

export interface ConfigIssue {
  /** Where the problem is, as the user wrote it: a snake_case YAML path (`policy.max_proxy_ttl_seconds`),
   *  `env TMCP_…` for an environment override, or the file name for a syntax error. */
  path: string;
  message: string;
}

export class ConfigError extends AppError {
  readonly issues: ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source?: string) {
    const header =
      `invalid configuration${source === undefined ? '' : ` (${source})`}: ` +
      `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    const lines = issues.map((issue) =>
      issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`,
    );
    super('bad_parameter', [header, ...lines].join('\n'), {
      details: { issues: issues.map((i) => ({ ...i })) },
    });
    this.issues = issues.map((issue) => ({ ...issue }));
  }
}
