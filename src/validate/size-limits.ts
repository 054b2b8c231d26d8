// What the API server refuses for size, checked offline: a document over its request-body limit, and a
// Secret or ConfigMap holding more than 1 MiB of data.
import type { LoadedManifests, OversizeDocument } from './manifests.ts';

/**
 * The largest request body the API server accepts (k8s.io/apiserver MaxRequestBodyBytes, 3 MiB): a
 * bigger document cannot be applied, whatever it holds, so validate measures it and does not parse it.
 */
export const MAX_DOCUMENT_BYTES = 3 * 1024 * 1024;

/** core/v1 MaxSecretSize: the most data a Secret (and a ConfigMap) may hold. */
export const MAX_OBJECT_DATA_BYTES = 1024 * 1024;

const bytesText = (n: number) => `${n.toLocaleString('en-US')} bytes`;

export interface SizeFinding {
  rule: 'SIZE';
  field: string;
  severity: 'error';
  message: string;
}

/** A document that was too large to parse (found while streaming). */
export function oversizeDocumentFinding(doc: OversizeDocument): SizeFinding {
  const holdsData = doc.kind === 'Secret' || doc.kind === 'ConfigMap';
  return {
    rule: 'SIZE',
    field: '',
    severity: 'error',
    message:
      `this document is ${bytesText(doc.bytes)}; the API server refuses a request body over ${bytesText(MAX_DOCUMENT_BYTES)} (3 MiB), ` +
      `so it was measured, not read.` +
      (holdsData ? ` A ${doc.kind} may hold at most ${bytesText(MAX_OBJECT_DATA_BYTES)} (1 MiB) of data.` : '') +
      ' Keep large files out of manifests (a volume, an image or an object store), or split the document.',
  };
}

/**
 * The data of a Secret or ConfigMap against MaxSecretSize. `bytes` is the size of each key's value
 * as the API server would hold it; `estimated` when some values are encrypted and their plaintext
 * size is inferred from the ciphertext.
 */
export function objectDataSizeFinding(kind: 'Secret' | 'ConfigMap', bytes: number, estimated: boolean): SizeFinding | undefined {
  if (bytes <= MAX_OBJECT_DATA_BYTES) return undefined;
  const field = kind === 'Secret' ? 'data' : 'data, binaryData';
  return {
    rule: 'SIZE',
    field,
    severity: 'error',
    message:
      `${field} holds ${estimated ? 'about ' : ''}${bytesText(bytes)}; the API server refuses a ${kind} with more than ` +
      `${bytesText(MAX_OBJECT_DATA_BYTES)} (1 MiB) of data. A Chaman certificate or key is a few kB: keep only what the ` +
      `account references in it, and large files out of ${kind}s.`,
  };
}

/** Bytes a base64 text decodes to, without decoding it. */
export function base64DecodedLength(text: string): number {
  const clean = text.replace(/\s+/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
}

/** The size findings of documents too large to parse, in the shape the CLI reports. */
export function oversizeFindings(loaded: Pick<LoadedManifests, 'oversize'>) {
  return loaded.oversize.map((doc) => ({
    ...oversizeDocumentFinding(doc),
    file: doc.file,
    document: doc.document,
    line: doc.line,
    kind: doc.kind ?? '',
    namespace: doc.namespace ?? (doc.kind ? 'default' : ''),
    name: doc.name ?? '',
  }));
}
