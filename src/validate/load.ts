// Reads YAML or JSON manifests from files and folders, keeping where each document came from.
//
// Files are streamed and split into documents at `---` lines (as kubectl does) before any YAML is
// parsed, and a document larger than the API server would take is measured, not kept: a 60 MB Secret
// costs its size in reading time, not gigabytes of parsed objects.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { isSopsDocument } from './input-secrets.ts';
import { MAX_DOCUMENT_BYTES } from './size-limits.ts';
import { splitYamlDocuments, type RawDocument } from './split-documents.ts';

export interface SourceDocument {
  file: string;
  /** 1-based position of the document in its file */
  document: number;
  /** 1-based line where the document starts */
  line: number;
  object: unknown;
  /** Read from `sops --decrypt` output: holds plaintext; never print its values. */
  decrypted?: boolean;
}

export interface LoadProblem {
  file: string;
  document?: number;
  line?: number;
  message: string;
  /** Set when the file could not be decrypted (its YAML itself was fine). */
  decryption?: true;
}

/** A document too large to send to the API server: measured while streaming, never parsed. */
export interface OversizeDocument {
  file: string;
  document: number;
  line: number;
  bytes: number;
  /** kind, namespace and name as far as the document's first lines tell. */
  kind?: string;
  namespace?: string;
  name?: string;
}

export interface LoadedManifests {
  documents: SourceDocument[];
  problems: LoadProblem[];
  oversize: OversizeDocument[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Files under the given paths; folders are walked recursively, in a stable order. */
export function listManifestFiles(paths: string[]): string[] {
  const files: string[] = [];
  const walk = (path: string, explicit: boolean): void => {
    const stat = statSync(path); // throws ENOENT: a usage error for the caller
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        if (!entry.startsWith('.')) walk(join(path, entry), false);
      }
    } else if (explicit || MANIFEST_EXTENSIONS.has(extname(path))) {
      files.push(path);
    }
  };
  for (const path of paths) walk(path, true);
  return files;
}

/** Parses the documents of one file (streamed or given), keeping file, document index and line. */
export async function parseManifestStream(file: string, chunks: AsyncIterable<Buffer> | Iterable<Buffer>, decrypted = false): Promise<LoadedManifests> {
  const out: LoadedManifests = { documents: [], problems: [], oversize: [] };
  let index = 0;
  for await (const raw of splitYamlDocuments(chunks, MAX_DOCUMENT_BYTES)) {
    if (raw.text === undefined) {
      out.oversize.push({ file, document: ++index, line: raw.line, bytes: raw.bytes, ...peekIdentity(raw.head) });
      continue;
    }
    index = parseDocument(file, raw, index, decrypted, out);
  }
  return out;
}

/** Parses one split document; returns the index of the last document it held. */
function parseDocument(file: string, raw: RawDocument, index: number, decrypted: boolean, out: LoadedManifests): number {
  if (/^(?:[ \t]*(?:#.*)?\r?(?:\n|$))*$/.test(raw.text!)) return index; // blank lines and comments only
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(raw.text!, { lineCounter });
  for (const doc of docs) {
    const document = ++index;
    const line = raw.line + lineCounter.linePos(doc.range[0]).line - 1;
    const errors = 'errors' in doc ? doc.errors : [];
    if (errors.length > 0) {
      // The first line of the parser's message only: the lines after it quote the document.
      out.problems.push({ file, document, line, message: `YAML syntax: ${errors[0]!.message.split('\n')[0]}` });
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue; // an empty document between separators
    const items = isList(object) ? object.items : [object];
    for (const item of items) out.documents.push({ file, document, line, object: item, ...(decrypted ? { decrypted } : {}) });
  }
  return index;
}

function isList(value: unknown): value is { items: unknown[] } {
  const v = value as { kind?: unknown; items?: unknown };
  return typeof v === 'object' && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
}

/**
 * kind, metadata.namespace and metadata.name from the first lines of a document too large to parse,
 * so the finding can name the object. Block style (`kind: Secret`, `metadata:` then indented keys)
 * or flow style (`metadata: {name: x, namespace: y}`); anything else is left out.
 */
export function peekIdentity(head: string): { kind?: string; namespace?: string; name?: string } {
  const scalar = (s: string | undefined) => s?.trim().replace(/^(["'])(.*)\1$/, '$2') || undefined;
  const out: { kind?: string; namespace?: string; name?: string } = {};
  const lines = head.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const kind = /^kind:\s*([^#\s]+)/.exec(line);
    if (kind) out.kind = scalar(kind[1]);
    const flow = /^metadata:\s*\{(.*)\}/.exec(line);
    if (flow) {
      out.name = scalar(/(?:^|,)\s*name:\s*([^,}]+)/.exec(flow[1]!)?.[1]);
      out.namespace = scalar(/(?:^|,)\s*namespace:\s*([^,}]+)/.exec(flow[1]!)?.[1]);
    } else if (/^metadata:\s*(#.*)?$/.test(line)) {
      for (let j = i + 1; j < lines.length && /^(\s+|$)/.test(lines[j]!); j++) {
        const field = /^ {1,4}(name|namespace):\s*([^#\s]+)/.exec(lines[j]!);
        if (field) out[field[1] as 'name' | 'namespace'] = scalar(field[2]);
      }
    }
  }
  return out;
}

/** Decrypts one file (e.g. `sops --decrypt`); throws with a message that holds no plaintext. */
export type Decrypter = (file: string) => Promise<Buffer>;

/**
 * Reads every file under `paths`. With `decrypt`, a file holding a SOPS document is read again from
 * its decrypted form (in memory only), so the rules can check the plaintext.
 */
export async function loadManifests(paths: string[], opts: { decrypt?: Decrypter } = {}): Promise<LoadedManifests> {
  const all: LoadedManifests = { documents: [], problems: [], oversize: [] };
  for (const file of listManifestFiles(paths)) {
    let loaded = await parseManifestStream(file, createReadStream(file, { highWaterMark: 64 * 1024 }));
    if (opts.decrypt && loaded.oversize.length === 0 && loaded.documents.some((d) => isSopsDocument(d.object))) {
      try {
        loaded = await parseManifestStream(file, [await opts.decrypt(file)], true);
      } catch (err) {
        loaded.problems.push({ file, decryption: true, message: `${(err as Error).message}` });
      }
    }
    all.documents.push(...loaded.documents);
    all.problems.push(...loaded.problems);
    all.oversize.push(...loaded.oversize);
  }
  return all;
}
