// Shared plumbing of the command files: how a command gets its context, and paging of List calls.
import { create, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { Option, type Command } from 'commander';
import { parsePositiveInt } from '../cli-values.js';
import type { CliContext } from '../cli-context.js';

export type ContextOf = (command: Command) => CliContext;

export interface PageOptions {
  pageSize?: number;
  pageToken?: string;
  allPages?: boolean;
}

/** How many items an `ls` shows when not told otherwise: the newest (or first) page. */
export const DEFAULT_LIST_SIZE = 50;

/**
 * `--page-size` / `--page-token`: one page (the first DEFAULT_LIST_SIZE items without them);
 * `--all-pages`: every page.
 */
export function withPageOptions(command: Command): Command {
  return command
    .option(
      '--page-size <n>',
      `return one page of at most n items (default ${DEFAULT_LIST_SIZE}; the server caps n at 500)`,
      parsePositiveInt,
    )
    .option('--page-token <token>', 'the next page of an earlier listing (its "more:" hint)')
    .addOption(
      new Option('--all-pages', 'read every page (can be a lot: each page is one call)').conflicts([
        'pageSize',
        'pageToken',
      ]),
    );
}

/**
 * One page — the one asked for, else the first DEFAULT_LIST_SIZE items — or, with --all-pages,
 * every page (500 at a time). Returns the items and the token of the page after (empty when
 * there is none or all pages were read).
 */
async function listPages<T>(
  options: PageOptions,
  fetch: (pageSize: number, pageToken: string) => Promise<{ items: T[]; next: string }>,
): Promise<{ items: T[]; next: string }> {
  if (options.allPages !== true) {
    return fetch(options.pageSize ?? DEFAULT_LIST_SIZE, options.pageToken ?? '');
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
  if (next !== '' && ctx.format === 'table') {
    ctx.io.stderr(`more: --page-token ${next} (or --all-pages)\n`);
  }
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
