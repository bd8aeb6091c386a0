// A role's requireTicket.pattern is a regular expression the whole ticket must match
// (`JIRA-[0-9]+` accepts `JIRA-42`, not `see JIRA-42`).

export const MAX_TICKET_LENGTH = 128;

/** Undefined when the pattern does not compile; such a pattern matches no ticket. */
export function compileTicketPattern(pattern: string): RegExp | undefined {
  try {
    // Compiled alone first so that a pattern like `a)|(b` cannot escape the anchors.
    new RegExp(pattern, 'u');
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    return undefined;
  }
}

export function matchTicket(pattern: string, ticket: string): boolean {
  if (ticket.length === 0 || ticket.length > MAX_TICKET_LENGTH) return false;
  return compileTicketPattern(pattern)?.test(ticket) ?? false;
}
