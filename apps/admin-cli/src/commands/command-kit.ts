// Shared plumbing of the command files: how a command gets its context, and paging of List calls.
import { create, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import type { Command } from 'commander';
import { parsePositiveInt } from '../cli-values.js';
import type { CliContext } from '../cli-context.js';

export type ContextOf = (command: Command) => CliContext;

export interface PageOptions {
  pageSize?: number;
  pageToken?: string;
}

/** `--page-size` / `--page-token`: one page; without them, every page. */
export function withPageOptions(command: Command): Command {
  return command
    .option(
      '--page-size <n>',
      'return one page of at most n items (the server caps n at 500)',
      parsePositiveInt,
    )
    .option('--page-token <token>', 'the next page of an earlier --page-size listing');
}

/**
 * One page when the user asked for a page, else every page (500 at a time). Returns the items
 * and the token of the page after (empty when there is none or all pages were read).
 */
async function listPages<T>(
  options: PageOptions,
  fetch: (pageSize: number, pageToken: string) => Promise<{ items: T[]; next: string }>,
): Promise<{ items: T[]; next: string }> {
  if (options.pageSize !== undefined || options.pageToken !== undefined) {
    return fetch(options.pageSize ?? 0, options.pageToken ?? '');
  }
  const items: T[] = [];
  let token = '';
  do {
    const page = await fetch(500, token);
    items.push(...page.items);
    token = page.next;
  } while (token !== '');
  return { items, next: '' };
}

/** In table form the next-page hint goes to stderr, so stdout stays a clean table. */
function hintNextPage(ctx: CliContext, next: string): void {
  if (next !== '' && ctx.format === 'table') ctx.io.stderr(`more: --page-token ${next}\n`);
}

/** What an `ls` command lists: how to fetch a page, and how to print the items. */
export interface Listing<T, S extends DescMessage> {
  fetch: (pageSize: number, pageToken: string) => Promise<{ items: T[]; next: string }>;
  /** The List response message, printed as JSON or YAML. */
  schema: S;
  response: (items: T[], nextPageToken: string) => MessageInitShape<S>;
  table: (items: T[]) => string;
}

/** The body of every `ls`: read the pages (with a spinner), print them, hint at the next page. */
export async function printListing<T, S extends DescMessage>(
  ctx: CliContext,
  options: PageOptions,
  listing: Listing<T, S>,
): Promise<void> {
  const { items, next } = await ctx.waiting('loading', listPages(options, listing.fetch));
  ctx.print(listing.schema, create(listing.schema, listing.response(items, next)), () =>
    listing.table(items),
  );
  hintNextPage(ctx, next);
}
