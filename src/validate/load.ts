// Reads YAML or JSON manifests from files and folders, keeping where each document came from.
//
// Files are streamed and split into documents at `---` lines (as kubectl does) before any YAML is
// parsed, and a document larger than the API server would take is measured, not kept: a 60 MB Secret
// costs its size in reading time, not gigabytes of parsed objects.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { LineCounter, isScalar, parseAllDocuments, visit, type Document } from 'yaml';
import { isSopsDocument } from './input-secrets.ts';
import { MAX_DOCUMENT_BYTES } from './size-limits.ts';
import type { LoadedManifests, LoadProblem, OversizeDocument, SourceDocument } from './manifests.ts';
import { splitYamlDocuments, type RawDocument } from './split-documents.ts';

export type { LoadedManifests, LoadProblem, OversizeDocument, SourceDocument } from './manifests.ts';

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

/**
 * Aliases a document may expand: the yaml package's own default, set here so that it cannot silently
 * change. A "billion laughs" document (aliases of aliases) is refused, not expanded.
 */
export const MAX_ALIAS_COUNT = 100;

/** Blank lines and comments only: a line loop, not a regex with nested quantifiers. */
function blankOrComments(text: string): boolean {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed !== '' && !trimmed.startsWith('#')) return false;
  }
  return true;
}

/**
 * The offset of the first key repeated in a mapping, if any. The yaml package's own check (uniqueKeys)
 * compares each key with every earlier one: quadratic, a 1 MB ConfigMap of 50,000 keys took 146 s. This
 * one keeps a Set per mapping: linear.
 */
function repeatedKey(doc: Document.Parsed): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) {
          offset = pair.key.range?.[0] ?? 0;
          return visit.BREAK;
        }
        seen.add(pair.key.value);
      }
      return undefined;
    },
  });
  return offset;
}

/** The document's value, or the problem that keeps it from being read (an error's first line never quotes it). */
function documentValue(doc: Document.Parsed, absoluteLine: (offset: number) => number): { object: unknown } | { message: string } {
  const errors = doc.errors;
  // The first line of the parser's message only: the lines after it quote the document.
  if (errors.length > 0) return { message: `YAML syntax: ${errors[0]!.message.split('\n')[0]}` };
  const repeated = repeatedKey(doc);
  if (repeated !== undefined) return { message: `YAML syntax: Map keys must be unique (line ${absoluteLine(repeated)} repeats a key)` };
  try {
    return { object: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    if (error instanceof ReferenceError) {
      return { message: `YAML aliases: the document expands aliases more than ${MAX_ALIAS_COUNT} times (a "billion laughs" pattern), so it was not read; write the values out instead of anchors (&) and aliases (*)` };
    }
    return { message: `YAML: ${String((error as Error).message).split('\n')[0]}` };
  }
}

/** Parses one split document; returns the index of the last document it held. */
function parseDocument(file: string, raw: RawDocument, index: number, decrypted: boolean, out: LoadedManifests): number {
  if (blankOrComments(raw.text!)) return index;
  const lineCounter = new LineCounter();
  const absoluteLine = (offset: number) => raw.line + lineCounter.linePos(offset).line - 1;
  const docs = parseAllDocuments(raw.text!, { lineCounter, uniqueKeys: false });
  for (const doc of docs) {
    const document = ++index;
    const line = absoluteLine(doc.range[0]);
    const value = documentValue(doc, absoluteLine);
    if ('message' in value) {
      out.problems.push({ file, document, line, message: value.message });
      continue;
    }
    const object = value.object;
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
    // A loop, not push(...): a file of 200,000 small documents overflowed the call stack's arguments.
    for (const key of ['documents', 'problems', 'oversize'] as const) for (const item of loaded[key]) (all[key] as unknown[]).push(item);
  }
  return all;
}
