// Teleport-style globs: `*` matches any run of characters (also none), everything else is
// literal, and the pattern must match the whole string (Teleport's utils.GlobToRegexp).

export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${body}$`, 'u');
}

export function matchGlob(glob: string, value: string): boolean {
  if (!glob.includes('*')) return glob === value;
  return globToRegExp(glob).test(value);
}
