// R17: SFTP SSH public keys, with sshpk. Accepted: OpenSSH one-line or RFC 4716 ("SSH-2") format;
// RSA ≥ 2048 bits, ECDSA, Ed25519. Refused: DSA and, explicitly, private keys (sshpk.parseKey
// accepts those too and quietly returns their public half). No message ever quotes the input.
//
// The input is untrusted: it is refused over MAX_SSH_PUBLIC_KEY_BYTES before anything reads it, and
// sshpk only ever sees a one-line OpenSSH key or a decoded RFC 4716 blob, never its auto-detection,
// whose PEM header regex is quadratic (8 KiB of "-----BEGIN " then dashes took 0.14 s, 64 KiB 9 s).
import { createRequire } from 'node:module';
import type sshpk from 'sshpk';
import { error } from './findings.ts';
import type { Finding } from './types.ts';

export interface SshPublicKeyInfo {
  /** as Chaman stores and shows it: `---- BEGIN SSH2 PUBLIC KEY ----` … (no comment header) */
  rfc4716: string;
  /** `ssh-ed25519 AAAA…` (no comment) */
  openssh: string;
  /** sshpk's type: `rsa`, `ecdsa`, `ed25519` */
  type: string;
  /** bits */
  size: number;
  /** `SHA256:…` as ssh-keygen -l prints it */
  fingerprint: string;
}

export const SSH_RSA_MIN_BITS = 2048;
/** An RSA 16384-bit public key is 2.8 kB in OpenSSH format: anything over 8 KiB is not one key. */
export const MAX_SSH_PUBLIC_KEY_BYTES = 8192;

const RFC4716_BEGIN = '---- BEGIN SSH2 PUBLIC KEY ----';
const RFC4716_END = '---- END SSH2 PUBLIC KEY ----';

/** Thrown by toRfc4716 for input that is not an acceptable public key; the message is safe to show. */
export class SshKeyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshKeyFormatError';
  }
}

let sshpkLibrary: typeof sshpk | undefined;

/** sshpk costs about 8 MB of RSS: loaded (synchronously, it is CommonJS) by the first SSH key read. */
function sshpkLib(): typeof sshpk {
  sshpkLibrary ??= createRequire(import.meta.url)('sshpk') as typeof sshpk;
  return sshpkLibrary;
}

type Parsed = { key: sshpk.Key } | { problem: string };

const FORMAT_TEXT = 'give the public key in OpenSSH one-line format (`ssh-ed25519 AAAA… comment`, the .pub file) or RFC 4716 format (`---- BEGIN SSH2 PUBLIC KEY ----`)';

/** Every private key format sshpk reads says so in its text: PEM and OpenSSH labels, PuTTY, DNSSEC. */
function looksPrivate(text: string): boolean {
  return text.includes('PRIVATE KEY') || /^PuTTY-User-Key-File-/im.test(text) || text.startsWith('Private-key-format: v1');
}

/** RFC 4716 §3: begin line, headers (`Tag: value`, `\` continues a line), base64 body, end line. */
function parseRfc4716(text: string): Buffer | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines[0] !== RFC4716_BEGIN || lines[lines.length - 1] !== RFC4716_END) return undefined;
  const body: string[] = [];
  let continued = false;
  for (const line of lines.slice(1, -1)) {
    if (continued || (body.length === 0 && /^[A-Za-z0-9-]{1,64}:/.test(line))) {
      continued = line.endsWith('\\');
      continue;
    }
    if (!/^[A-Za-z0-9+/=]+$/.test(line)) return undefined;
    body.push(line);
  }
  if (body.length === 0) return undefined;
  return Buffer.from(body.join(''), 'base64');
}

function parsePublic(input: string): Parsed {
  const size = Buffer.byteLength(input);
  if (size > MAX_SSH_PUBLIC_KEY_BYTES) {
    return {
      problem: `R17: the SSH public key is ${size.toLocaleString('en-US')} bytes; the limit is ${MAX_SSH_PUBLIC_KEY_BYTES.toLocaleString('en-US')} bytes (8 KiB), and a larger value is not read: give one public key (the .pub file, one line)`,
    };
  }
  const text = input.trim();
  if (text === '') return { problem: `R17: the SSH public key is empty; ${FORMAT_TEXT}` };
  if (looksPrivate(text)) {
    return {
      problem: 'R17: this is an SSH private key; never give a private key: give only the public key (the .pub file, e.g. from `ssh-keygen -y -f <key>`)',
    };
  }
  try {
    if (text.startsWith('---- BEGIN SSH2')) {
      const blob = parseRfc4716(text);
      if (!blob) return { problem: `R17: the RFC 4716 public key is malformed; ${FORMAT_TEXT}` };
      return { key: sshpkLib().parseKey(blob, 'rfc4253') };
    }
    if (/[\r\n]/.test(text)) return { problem: `R17: an OpenSSH public key is one line; ${FORMAT_TEXT}` };
    if (!/^(ssh-|ecdsa-sha2-|sk-)/.test(text)) return { problem: `R17: this is not an SSH public key; ${FORMAT_TEXT}` };
    return { key: sshpkLib().parseKey(text, 'ssh') };
  } catch {
    return { problem: `R17: the SSH public key could not be read; ${FORMAT_TEXT}` };
  }
}

function wrap(base64: string, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < base64.length; i += width) out.push(base64.slice(i, i + width));
  return out;
}

function rfc4716Of(key: sshpk.Key): string {
  const base64 = key.toBuffer('rfc4253').toString('base64');
  return [RFC4716_BEGIN, ...wrap(base64, 70), RFC4716_END].join('\n') + '\n';
}

function infoOf(key: sshpk.Key): SshPublicKeyInfo {
  return {
    rfc4716: rfc4716Of(key),
    openssh: key.toString('ssh').split(' ').slice(0, 2).join(' '),
    type: key.type,
    size: key.size,
    fingerprint: key.fingerprint('sha256').toString(),
  };
}

/** R17 on an SFTP public key; `key` is set when the key is acceptable. */
export function checkSshPublicKey(text: unknown, field: string): { key?: SshPublicKeyInfo; findings: Finding[] } {
  const bad = (message: string) => ({ findings: [error('R17', field, message, 'InvalidSSHKey')] });
  if (typeof text !== 'string') return bad(`R17: the SSH public key is missing; ${FORMAT_TEXT}`);
  const parsed = parsePublic(text);
  if ('problem' in parsed) return bad(parsed.problem);
  const key = parsed.key;
  switch (key.type) {
    case 'rsa':
      if (key.size < SSH_RSA_MIN_BITS) {
        return bad(`R17: the SSH key is RSA with ${key.size} bits; RSA keys need at least ${SSH_RSA_MIN_BITS} bits: generate a new one, e.g. \`ssh-keygen -t ed25519\` or \`ssh-keygen -t rsa -b 4096\``);
      }
      break;
    case 'ecdsa':
    case 'ed25519':
      break;
    case 'dsa':
      return bad('R17: DSA SSH keys are refused; generate an Ed25519, ECDSA or RSA (≥ 2048 bits) key, e.g. `ssh-keygen -t ed25519`');
    default:
      return bad(`R17: ${key.type} SSH keys are refused; use an Ed25519, ECDSA or RSA (≥ 2048 bits) key`);
  }
  return { key: infoOf(key), findings: [] };
}

/** The key in the SSH-2 (RFC 4716) format Chaman stores and shows. Throws SshKeyFormatError if R17 refuses it. */
export function toRfc4716(text: string): string {
  const checked = checkSshPublicKey(text, '');
  if (!checked.key) throw new SshKeyFormatError(checked.findings[0]?.message ?? 'R17: not an acceptable SSH public key');
  return checked.key.rfc4716;
}

/** The same public key, whatever the format (OpenSSH or RFC 4716) and comment. Unreadable keys compare as text. */
export function sameSshPublicKey(a: string, b: string): boolean {
  const pa = parsePublic(a);
  const pb = parsePublic(b);
  if ('key' in pa && 'key' in pb) return pa.key.toBuffer('rfc4253').equals(pb.key.toBuffer('rfc4253'));
  return a.trim() === b.trim();
}
