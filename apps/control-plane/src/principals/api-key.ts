// API keys: `tmcp_` + 43 base62 characters (256 random bits). The first 8 characters after the
// `tmcp_` are a non-secret lookup prefix; the whole key is stored only as an scrypt hash whose
// parameters travel with it, so they can be raised later without invalidating existing keys.
//
// Keys are random, not chosen by people, so guessing is hopeless whatever the hash cost; scrypt
// protects the keys should the table leak, at a cost kept moderate because every request pays it.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const API_KEY_PREFIX = 'tmcp_';
export const LOOKUP_PREFIX_LENGTH = 8;
const KEY_BYTES = 32;
/** ceil(256 / log2(62)): every 32-byte value fits, so all keys have the same length. */
const KEY_BODY_LENGTH = 43;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const API_KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${KEY_BODY_LENGTH}}$`);

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 16_384, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;

export interface GeneratedApiKey {
  apiKey: string;
  lookupPrefix: string;
}

export function generateApiKey(random: (size: number) => Buffer = randomBytes): GeneratedApiKey {
  const body = toBase62(random(KEY_BYTES), KEY_BODY_LENGTH);
  return { apiKey: `${API_KEY_PREFIX}${body}`, lookupPrefix: body.slice(0, LOOKUP_PREFIX_LENGTH) };
}

/** The lookup prefix of a well-formed key; undefined for anything that is not one of our keys. */
export function lookupPrefixOf(apiKey: string): string | undefined {
  if (!API_KEY_PATTERN.test(apiKey)) return undefined;
  return apiKey.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + LOOKUP_PREFIX_LENGTH);
}

/** `scrypt$N$r$p$<salt>$<hash>`, salt and hash in base64url. */
export async function hashApiKey(
  apiKey: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
  salt: Buffer = randomBytes(SALT_BYTES),
): Promise<string> {
  const hash = await derive(apiKey, salt, HASH_BYTES, params);
  return [
    'scrypt',
    params.N,
    params.r,
    params.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

/** True when `apiKey` is the key `storedHash` was made from; the comparison is constant-time. */
export async function verifyApiKey(apiKey: string, storedHash: string): Promise<boolean> {
  const stored = parseStoredHash(storedHash);
  if (stored === undefined) return false;
  const candidate = await derive(apiKey, stored.salt, stored.hash.length, stored.params);
  return timingSafeEqual(candidate, stored.hash);
}

interface StoredHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function parseStoredHash(value: string): StoredHash | undefined {
  const parts = value.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, n, r, p, salt, hash] = parts;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const valid =
    Number.isInteger(params.N) &&
    params.N > 1 &&
    (params.N & (params.N - 1)) === 0 &&
    params.N <= 1 << 20 &&
    Number.isInteger(params.r) &&
    params.r >= 1 &&
    params.r <= 32 &&
    Number.isInteger(params.p) &&
    params.p >= 1 &&
    params.p <= 16;
  if (!valid || salt === undefined || hash === undefined) return undefined;
  const hashBytes = Buffer.from(hash, 'base64url');
  if (hashBytes.length < 16) return undefined;
  return { params, salt: Buffer.from(salt, 'base64url'), hash: hashBytes };
}

function derive(
  secret: string,
  salt: Buffer,
  length: number,
  params: ScryptParams,
): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // scrypt needs about 128 * N * r bytes; leave head-room above Node's 32 MiB default.
    maxmem: 256 * params.N * params.r * params.p,
  };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function toBase62(bytes: Buffer, length: number): string {
  let value = BigInt(`0x${bytes.toString('hex') || '0'}`);
  let out = '';
  while (value > 0n) {
    out = BASE62[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out.padStart(length, '0');
}
