// R16: the client ID Chaman gives a REST account, `self_service_chaman_<senderNumber>_<10 [a-z0-9]>`.
export const CLIENT_ID_PREFIX = 'self_service_chaman_';
export const CLIENT_ID_SUFFIX_LENGTH = 10;
export const CLIENT_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Any sender number; see `isValidClientId` for one sender's. */
export const CLIENT_ID_PATTERN = '^self_service_chaman_[0-9]{1,10}_[a-z0-9]{10}$';

const SUFFIX_RE = /^[a-z0-9]{10}$/;

/**
 * A new client ID for `senderNumber`. `random` is either a function returning numbers in [0, 1)
 * (e.g. Math.random, or a seeded one in tests) or a ready suffix of 10 lowercase letters or digits.
 */
export function makeClientId(senderNumber: string, random: (() => number) | string): string {
  let suffix: string;
  if (typeof random === 'string') {
    if (!SUFFIX_RE.test(random)) throw new Error('R16: a client ID suffix is 10 lowercase letters or digits');
    suffix = random;
  } else {
    suffix = '';
    for (let i = 0; i < CLIENT_ID_SUFFIX_LENGTH; i++) {
      const r = random();
      const index = Math.min(CLIENT_ID_ALPHABET.length - 1, Math.max(0, Math.floor(r * CLIENT_ID_ALPHABET.length)));
      suffix += CLIENT_ID_ALPHABET[index];
    }
  }
  return `${CLIENT_ID_PREFIX}${senderNumber}_${suffix}`;
}

export function isValidClientId(id: unknown, senderNumber?: string): boolean {
  if (typeof id !== 'string' || !new RegExp(CLIENT_ID_PATTERN).test(id)) return false;
  if (senderNumber === undefined) return true;
  const prefix = `${CLIENT_ID_PREFIX}${senderNumber}_`;
  return id.startsWith(prefix) && SUFFIX_RE.test(id.slice(prefix.length));
}
