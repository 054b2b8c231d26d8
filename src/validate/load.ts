// Reads YAML or JSON manifests from files and folders, keeping where each document came from.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';

export interface SourceDocument {
  file: string;
  /** 1-based position of the document in its file */
  document: number;
  /** 1-based line where the document starts */
  line: number;
  object: unknown;
}

export interface LoadProblem {
  file: string;
  document?: number;
  line?: number;
  message: string;
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

export function parseManifests(file: string, text: string): { documents: SourceDocument[]; problems: LoadProblem[] } {
  const documents: SourceDocument[] = [];
  const problems: LoadProblem[] = [];
  const lineCounter = new LineCounter();
  parseAllDocuments(text, { lineCounter }).forEach((doc, i) => {
    const line = lineCounter.linePos(doc.range[0]).line;
    const errors = 'errors' in doc ? doc.errors : [];
    if (errors.length > 0) {
      problems.push({ file, document: i + 1, line, message: `YAML syntax: ${errors[0]!.message.split('\n')[0]}` });
      return;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) return; // an empty document between separators
    const items = isList(object) ? object.items : [object];
    for (const item of items) documents.push({ file, document: i + 1, line, object: item });
  });
  return { documents, problems };
}

function isList(value: unknown): value is { items: unknown[] } {
  const v = value as { kind?: unknown; items?: unknown };
  return typeof v === 'object' && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
}

export function loadManifests(paths: string[]): { documents: SourceDocument[]; problems: LoadProblem[] } {
  const documents: SourceDocument[] = [];
  const problems: LoadProblem[] = [];
  for (const file of listManifestFiles(paths)) {
    const parsed = parseManifests(file, readFileSync(file, 'utf8'));
    documents.push(...parsed.documents);
    problems.push(...parsed.problems);
  }
  return { documents, problems };
}
