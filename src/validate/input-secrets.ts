// The Secrets an input provides to the accounts it holds, as a GitOps repository holds them: plain
// Secrets, SOPS-encrypted Secrets (Flux's way), SealedSecrets and ExternalSecrets. What can be read is
// checked; what is encrypted or filled in at run time still counts as present (its keys are known), and
// the checks that need its content are reported as not done, with how to do them — never as errors.
import { resolveAccountMaterial, type AccountMaterial, type SecretData } from '../api/semantic.ts';
import type { ChannelAccountSpec } from '../api/types.generated.ts';
import type { Finding } from '../domain/types.ts';
import { base64DecodedLength, objectDataSizeFinding, type SizeFinding } from './size-limits.ts';

/**
 * A finding of validate: the domain's, plus size limits (SIZE), encrypted input (ENCRYPTED), and the
 * notices (severity info) of checks not done, such as R6-R10 on an encrypted certificate.
 */
export interface InputFinding extends Omit<Finding, 'rule' | 'severity'> {
  rule: Finding['rule'] | SizeFinding['rule'] | 'R6-R10' | 'ENCRYPTED';
  severity: Finding['severity'] | 'info';
}

/** Where a value that cannot be read offline comes from. */
export type Unreadable = { by: 'sops' } | { by: 'SealedSecret' | 'ExternalSecret'; source: string };

interface InputSecret {
  /** Values that could be read. */
  data: SecretData;
  /** Keys present whose values cannot be read offline. */
  hidden: Map<string, Unreadable>;
  /** Set when any key may exist (an ExternalSecret with dataFrom or a template): none is reported missing. */
  anyKey?: Unreadable;
}

/** Secrets of the input by `namespace/name`. */
export type InputSecrets = Map<string, InputSecret>;

/** The part of a located document this module reads. */
export interface InputDocument {
  kind: string;
  namespace: string;
  name: string;
  manifest: unknown;
  report: (f: InputFinding) => void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const entries = (v: unknown): [string, unknown][] => (isObj(v) ? Object.entries(v) : []);
const apiGroup = (m: Obj) => (typeof m.apiVersion === 'string' ? m.apiVersion.split('/')[0] : '');

/** A value SOPS encrypted: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`. */
const SOPS_VALUE = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:(str|int|float|bool|bytes)\]$/;

/** A document SOPS wrote: top-level `sops:` metadata with its MAC and version. */
export function isSopsDocument(manifest: unknown): boolean {
  return isObj(manifest) && isObj(manifest.sops) && (typeof manifest.sops.mac === 'string' || manifest.sops.version !== undefined);
}

export function isSopsValue(value: unknown): value is string {
  return typeof value === 'string' && SOPS_VALUE.test(value);
}

/** Length of the plaintext of a SOPS value: AES-GCM ciphertext is as long as its plaintext. */
function sopsPlaintextLength(value: string): number {
  return base64DecodedLength(SOPS_VALUE.exec(value)![1]!);
}

/** Reads every Secret-providing document of the input; reports base64, type and size problems. */
export function collectInputSecrets(docs: InputDocument[]): InputSecrets {
  const secrets: InputSecrets = new Map();
  const providers: [string, InputSecret][] = [];
  for (const doc of docs) {
    const m = doc.manifest as Obj;
    if (isSopsDocument(m) && (typeof m.kind !== 'string' || isSopsValue(m.kind) || isSopsValue((m.metadata as Obj | undefined)?.name))) {
      doc.report({
        rule: 'ENCRYPTED',
        field: '',
        severity: 'info',
        message:
          'not checked: SOPS encrypted this document\'s kind or name, so validate cannot tell what it is. Encrypt only the values ' +
          '(encrypted_regex: ^(data|stringData)$ in .sops.yaml, as Flux documents it), or run with --decrypt-with sops.',
      });
    } else if (doc.kind === 'Secret' && m.apiVersion === 'v1') {
      secrets.set(`${doc.namespace}/${doc.name}`, readSecret(doc));
    } else if (doc.kind === 'ConfigMap' && m.apiVersion === 'v1') {
      checkConfigMapSize(doc);
    } else if (doc.kind === 'SealedSecret' && apiGroup(m) === 'bitnami.com') {
      providers.push([`${doc.namespace}/${doc.name}`, readSealedSecret(doc)]);
    } else if (doc.kind === 'ExternalSecret' && apiGroup(m) === 'external-secrets.io') {
      const target = isObj(m.spec) && isObj(m.spec.target) && typeof m.spec.target.name === 'string' ? m.spec.target.name : doc.name;
      providers.push([`${doc.namespace}/${target}`, readExternalSecret(doc)]);
    }
  }
  // A Secret in the input is what the API server will hold; a provider of the same name only fills it.
  for (const [key, provided] of providers) if (!secrets.has(key)) secrets.set(key, provided);
  return secrets;
}

function readSecret(doc: InputDocument): InputSecret {
  const m = doc.manifest as Obj;
  const sops = isSopsDocument(m);
  const secret: InputSecret = { data: {}, hidden: new Map() };
  const sizes = new Map<string, number>();
  let estimated = false;
  for (const [key, value] of entries(m.data)) {
    if (sops && isSopsValue(value)) {
      secret.hidden.set(key, { by: 'sops' });
      sizes.set(key, Math.floor(sopsPlaintextLength(value) / 4) * 3); // the plaintext is base64 text
      estimated = true;
      continue;
    }
    const text = typeof value === 'string' ? value.replace(/\s+/g, '') : '';
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      doc.report({
        rule: 'SCHEMA',
        field: `data.${key}`,
        severity: 'error',
        message: `data.${key} is not valid base64; put plain text under stringData instead, or encode it with base64 -w0.`,
      });
      continue;
    }
    secret.data[key] = new Uint8Array(Buffer.from(text, 'base64'));
    sizes.set(key, secret.data[key].length);
  }
  // The API server merges stringData into data (stringData wins) before it checks the size.
  for (const [key, value] of entries(m.stringData)) {
    if (sops && isSopsValue(value)) {
      secret.hidden.set(key, { by: 'sops' });
      delete secret.data[key];
      sizes.set(key, sopsPlaintextLength(value));
      estimated = true;
      continue;
    }
    secret.hidden.delete(key);
    secret.data[key] = new TextEncoder().encode(String(value));
    sizes.set(key, secret.data[key].length);
  }
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  const tooBig = objectDataSizeFinding('Secret', total, estimated);
  if (tooBig) doc.report(tooBig);
  checkTlsKeys(doc, m.type, [...sizes.keys()]);
  return secret;
}

function checkConfigMapSize(doc: InputDocument): void {
  const m = doc.manifest as Obj;
  let total = 0;
  for (const [, value] of entries(m.data)) total += Buffer.byteLength(String(value), 'utf8');
  for (const [, value] of entries(m.binaryData)) total += base64DecodedLength(String(value));
  const tooBig = objectDataSizeFinding('ConfigMap', total, false);
  if (tooBig) doc.report(tooBig);
}

/** The API server refuses a kubernetes.io/tls Secret without both tls.crt and tls.key. */
function checkTlsKeys(doc: InputDocument, type: unknown, keys: string[], field = 'data'): void {
  if (type !== 'kubernetes.io/tls') return;
  const missing = ['tls.crt', 'tls.key'].filter((k) => !keys.includes(k));
  if (missing.length === 0) return;
  doc.report({
    rule: 'SCHEMA',
    field,
    severity: 'error',
    message:
      `a Secret of type kubernetes.io/tls needs the keys tls.crt and tls.key, and ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing; ` +
      'the API server refuses it. Add the missing key, or use type Opaque for a certificate alone.',
  });
}

/** SealedSecret (bitnami.com): keys are spec.encryptedData's (and the template's); only the cluster can unseal them. */
function readSealedSecret(doc: InputDocument): InputSecret {
  const spec = (doc.manifest as Obj).spec as Obj | undefined;
  const template = isObj(spec?.template) ? spec.template : {};
  const by: Unreadable = { by: 'SealedSecret', source: doc.name };
  const hidden = new Map<string, Unreadable>();
  let lowerBound = 0;
  for (const [key, value] of entries(spec?.encryptedData)) {
    hidden.set(key, by);
    // 2-byte length, the RSA-OAEP session key (at most 512 bytes, a 4096-bit key), then AES-GCM with a 16-byte tag.
    lowerBound += Math.max(0, base64DecodedLength(String(value)) - 2 - 512 - 16);
  }
  for (const [key] of entries(template.data)) hidden.set(key, by);
  const tooBig = objectDataSizeFinding('Secret', lowerBound, true);
  if (tooBig) doc.report({ ...tooBig, field: 'spec.encryptedData' });
  checkTlsKeys(doc, template.type, [...hidden.keys()], 'spec.encryptedData');
  return { data: {}, hidden };
}

/** ExternalSecret (external-secrets.io): keys are spec.data[].secretKey unless dataFrom or a template adds more. */
function readExternalSecret(doc: InputDocument): InputSecret {
  const spec = (doc.manifest as Obj).spec as Obj | undefined;
  const by: Unreadable = { by: 'ExternalSecret', source: doc.name };
  const hidden = new Map<string, Unreadable>();
  for (const item of Array.isArray(spec?.data) ? spec.data : []) {
    if (isObj(item) && typeof item.secretKey === 'string') hidden.set(item.secretKey, by);
  }
  const template = isObj(spec?.target) && isObj(spec.target.template) ? spec.target.template : undefined;
  const open = (Array.isArray(spec?.dataFrom) && spec.dataFrom.length > 0) || template !== undefined;
  return { data: {}, hidden, ...(open ? { anyKey: by } : {}) };
}

const MARK = '\u0000validate-unreadable:';
const decoder = new TextDecoder();

/**
 * resolveAccountMaterial on the input's Secrets. An unreadable value stands in as a marker, so a
 * missing key is still an error while an encrypted one is not; markers are taken out of the material
 * before any rule sees it, and each becomes a notice of the checks not done.
 */
export function resolveFromInput(spec: ChannelAccountSpec, namespace: string, secrets: InputSecrets): { material: AccountMaterial; findings: InputFinding[] } {
  const stand: { secret: string; key: string; from: Unreadable }[] = [];
  const marker = (secret: string, key: string, from: Unreadable) => new TextEncoder().encode(`${MARK}${stand.push({ secret, key, from }) - 1}`);
  const lookup = (name: string): SecretData | 'unknown' => {
    const s = secrets.get(`${namespace}/${name}`);
    if (!s) return 'unknown';
    const data: SecretData = { ...s.data };
    for (const [key, from] of s.hidden) data[key] = marker(name, key, from);
    if (!s.anyKey) return data;
    const anyKey = s.anyKey;
    return new Proxy(data, { get: (t, k) => (typeof k === 'string' ? (t[k] ?? marker(name, k, anyKey)) : undefined) });
  };
  const { material, findings } = resolveAccountMaterial(spec, lookup);
  const out: InputFinding[] = [...findings];
  const standIn = (text: string | undefined) => (text?.startsWith(MARK) ? stand[Number(text.slice(MARK.length))] : undefined);

  material.certificates = material.certificates.filter((cert) => {
    const s = standIn(decoder.decode(cert.bytes.subarray(0, 64)));
    if (s) out.push(notice('R6-R10', cert.field, `R6–R10 (key, signature, issuer, format, validity) of certificate "${cert.name}"`, s));
    return !s;
  });
  // The material says where each credential came from (its kind's field), so no type is named here.
  const password = standIn(material.password);
  if (password) {
    out.push(notice('R5', material.passwordField ?? '', `R5 (the ${spec.type} password)`, password));
    delete material.password;
    delete material.passwordField;
  }
  const sshKey = standIn(material.sshPublicKey);
  if (sshKey) {
    out.push(notice('R17', material.sshPublicKeyField ?? '', 'R17 (the SSH public key)', sshKey));
    delete material.sshPublicKey;
    delete material.sshPublicKeyField;
  }
  return { material, findings: out };
}

function notice(rule: InputFinding['rule'], field: string, checks: string, s: { secret: string; key: string; from: Unreadable }): InputFinding {
  const where = `key "${s.key}" of Secret "${s.secret}"`;
  const why =
    s.from.by === 'sops'
      ? `${where} is SOPS-encrypted; run validate with --decrypt-with sops to check it`
      : s.from.by === 'SealedSecret'
        ? `${where} is provided by SealedSecret ${s.from.source}, which only the cluster's controller can unseal; the operator checks it once the Secret exists`
        : `${where} is provided by ExternalSecret ${s.from.source} from its secret store; the operator checks it once the Secret exists`;
  return { rule, field, severity: 'info', message: `${checks} not checked: ${why}.` };
}
