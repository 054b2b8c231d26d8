import { describe, expect, it } from 'vitest';
import { parseManifestStream, peekIdentity } from '../../../src/validate/load.ts';
import { splitYamlDocuments } from '../../../src/validate/split-documents.ts';

async function split(text: string, maxBytes: number, chunkSize = 64 * 1024) {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const out = [];
  for await (const doc of splitYamlDocuments(chunks, maxBytes)) out.push(doc);
  return out;
}

describe('splitYamlDocuments (kubectl YAMLReader semantics, streamed)', () => {
  const text = '# leading comment\nkind: A\n---\nkind: B\nlist: |\n  --- not a separator, indented\n--- # a comment after the separator\nkind: C\n---\n';

  it('splits at separator lines only, keeping where each document starts', async () => {
    const docs = await split(text, 1024);
    expect(docs.map((d) => d.text)).toEqual(['# leading comment\nkind: A\n', 'kind: B\nlist: |\n  --- not a separator, indented\n', 'kind: C\n']);
    expect(docs.map((d) => d.line)).toEqual([1, 4, 8]);
  });

  it('gives the same documents whatever the chunk boundaries (one byte at a time)', async () => {
    expect(await split(text, 1024, 1)).toEqual(await split(text, 1024));
  });

  it('measures a document over the limit without keeping it, and keeps its first bytes to name it', async () => {
    const big = `kind: Secret\nmetadata:\n  name: big\ndata:\n  blob: ${'A'.repeat(5000)}\n`;
    const docs = await split(`kind: Small\n---\n${big}---\nkind: After\n`, 1000, 7);
    expect(docs.map((d) => [d.line, d.bytes, d.text === undefined])).toEqual([
      [1, 12, false],
      [3, Buffer.byteLength(big), true],
      [9, 12, false],
    ]);
    expect(docs[1]!.head).toContain('name: big');
  });
});

describe('parseManifestStream', () => {
  it('numbers documents and lines as the file reads, skipping comment-only parts', async () => {
    const loaded = await parseManifestStream('f.yaml', [Buffer.from('---\n# only a comment\n---\nkind: A\n---\n\nkind: B\n')]);
    expect(loaded.documents.map((d) => [d.document, d.line, (d.object as { kind: string }).kind])).toEqual([
      [1, 4, 'A'],
      [2, 7, 'B'],
    ]);
  });

  it('reports a YAML error with the line in the file, not in the document', async () => {
    const loaded = await parseManifestStream('f.yaml', [Buffer.from('kind: A\n---\nkind: B\nspec: [unclosed\n')]);
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]).toMatchObject({ file: 'f.yaml', document: 2, line: 3 });
  });
});

describe('peekIdentity', () => {
  it('reads kind, name and namespace in block and flow style', () => {
    expect(peekIdentity('apiVersion: v1\nkind: Secret\nmetadata:\n  name: "big"\n  namespace: payroll\ndata:\n  x: AAAA')).toEqual({ kind: 'Secret', name: 'big', namespace: 'payroll' });
    expect(peekIdentity("kind: ConfigMap\nmetadata: {namespace: p, name: 'cm'}\n")).toEqual({ kind: 'ConfigMap', name: 'cm', namespace: 'p' });
    expect(peekIdentity('data:\n  name: not-metadata\n')).toEqual({});
  });
});
