// A kingpin-compatible argv parser: `--flag=value`, `--flag value`, `-f value`, `-fvalue`,
// `--no-flag`, flags of a parent command accepted after its subcommand, flags of a subcommand
// refused before it, and kingpin's own error texts.
import { TeleportError } from './teleport-error.js';

export type FlagKind = 'string' | 'bool' | 'strings';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  env?: string;
  default?: string;
  enum?: readonly string[];
}

export interface ArgSpec {
  name: string;
  required?: boolean;
  variadic?: boolean;
}

export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  flags?: readonly FlagSpec[];
  args?: readonly ArgSpec[];
  commands?: readonly CommandSpec[];
}

export class ParsedCommand {
  constructor(
    /** Command names from the root, e.g. `['mcp', 'db', 'start']`. */
    readonly path: readonly string[],
    private readonly values: ReadonlyMap<string, string | boolean | string[]>,
    private readonly argValues: ReadonlyMap<string, string[]>,
  ) {}

  get command(): string {
    return this.path.join(' ');
  }

  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  bool(name: string): boolean {
    return this.values.get(name) === true;
  }

  /** Whether the flag was given (true or false) on the command line. */
  boolGiven(name: string): boolean | undefined {
    const v = this.values.get(name);
    return typeof v === 'boolean' ? v : undefined;
  }

  strings(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  }

  arg(name: string): string | undefined {
    return this.argValues.get(name)?.[0];
  }

  args(name: string): string[] {
    return this.argValues.get(name) ?? [];
  }

  /** The command path and positional arguments, which fault patterns are matched against. */
  commandLine(program: string): string {
    return [program, ...this.path, ...[...this.argValues.values()].flat()].join(' ');
  }
}

export function parseArgv(
  root: CommandSpec,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ParsedCommand {
  const chain: CommandSpec[] = [root];
  const path: string[] = [];
  const values = new Map<string, string | boolean | string[]>();
  const positional: string[] = [];
  let onlyPositional = false;

  const lookupLong = (name: string): FlagSpec | undefined => {
    for (let i = chain.length - 1; i >= 0; i--) {
      const f = chain[i]?.flags?.find((x) => x.name === name);
      if (f) return f;
    }
    return undefined;
  };
  const lookupShort = (short: string): FlagSpec | undefined => {
    for (let i = chain.length - 1; i >= 0; i--) {
      const f = chain[i]?.flags?.find((x) => x.short === short);
      if (f) return f;
    }
    return undefined;
  };
  const setValue = (flag: FlagSpec, value: string | boolean): void => {
    if (flag.enum && typeof value === 'string' && !flag.enum.includes(value)) {
      throw new TeleportError(
        'usage',
        `enum value must be one of ${flag.enum.join(',')}, got '${value}'`,
      );
    }
    if (flag.kind === 'strings' && typeof value === 'string') {
      const prev = values.get(flag.name);
      values.set(flag.name, [...(Array.isArray(prev) ? prev : []), value]);
    } else {
      values.set(flag.name, value);
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (onlyPositional) {
      positional.push(token);
      continue;
    }
    if (token === '--') {
      onlyPositional = true;
      continue;
    }
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = eq >= 0 ? token.slice(2, eq) : token.slice(2);
      const flag = lookupLong(name);
      if (!flag && name.startsWith('no-')) {
        const negated = lookupLong(name.slice(3));
        if (negated?.kind === 'bool' && eq < 0) {
          setValue(negated, false);
          continue;
        }
      }
      if (!flag) throw new TeleportError('usage', `unknown long flag '--${name}'`);
      if (flag.kind === 'bool') {
        if (eq >= 0) {
          const raw = token.slice(eq + 1);
          if (raw !== 'true' && raw !== 'false') {
            throw new TeleportError('usage', `strconv.ParseBool: parsing "${raw}": invalid syntax`);
          }
          setValue(flag, raw === 'true');
        } else {
          setValue(flag, true);
        }
        continue;
      }
      let value: string | undefined;
      if (eq >= 0) value = token.slice(eq + 1);
      else value = argv[++i];
      if (value === undefined)
        throw new TeleportError('usage', `expected argument for flag '--${name}'`);
      setValue(flag, value);
      continue;
    }
    if (token.startsWith('-') && token.length > 1) {
      for (let c = 1; c < token.length; c++) {
        const short = token[c] ?? '';
        const flag = lookupShort(short);
        if (!flag) throw new TeleportError('usage', `unknown short flag '-${short}'`);
        if (flag.kind === 'bool') {
          setValue(flag, true);
          continue;
        }
        let value: string | undefined = token.slice(c + 1);
        if (value === '') value = argv[++i];
        if (value === undefined)
          throw new TeleportError('usage', `expected argument for flag '-${short}'`);
        setValue(flag, value);
        break;
      }
      continue;
    }
    const current = chain[chain.length - 1];
    if (current?.commands?.length && positional.length === 0) {
      const next = current.commands.find((c) => c.name === token || c.aliases?.includes(token));
      if (!next) throw new TeleportError('usage', `expected command but got "${token}"`);
      chain.push(next);
      path.push(next.name);
      continue;
    }
    positional.push(token);
  }

  const leaf = chain[chain.length - 1] ?? root;
  if (leaf.commands?.length) {
    throw new TeleportError('usage', 'expected command but got nothing');
  }

  const argValues = new Map<string, string[]>();
  const specs = leaf.args ?? [];
  let p = 0;
  for (const spec of specs) {
    if (spec.variadic) {
      argValues.set(spec.name, positional.slice(p));
      p = positional.length;
    } else if (p < positional.length) {
      argValues.set(spec.name, [positional[p++] ?? '']);
    }
    if (spec.required && !(argValues.get(spec.name)?.length ?? 0)) {
      throw new TeleportError('usage', `required argument '${spec.name}' not provided`);
    }
  }
  if (p < positional.length) {
    throw new TeleportError('usage', `unexpected ${positional[p] ?? ''}`);
  }

  for (const spec of chain) {
    for (const flag of spec.flags ?? []) {
      if (values.has(flag.name)) continue;
      const fromEnv = flag.env ? env[flag.env] : undefined;
      if (fromEnv !== undefined && fromEnv !== '') {
        setValue(flag, flag.kind === 'bool' ? fromEnv === 'true' || fromEnv === '1' : fromEnv);
      } else if (flag.default !== undefined) {
        values.set(flag.name, flag.default);
      }
    }
  }
  return new ParsedCommand(path, values, argValues);
}
