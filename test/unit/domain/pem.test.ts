import { describe, expect, it } from 'vitest';
import { MAX_PEM_BLOCKS, scanPem } from '../../../src/domain/pem.ts';

const block = (label: string, body = 'AAAA') => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const labels = (text: string) => scanPem(text).blocks.map((b) => b.label);

describe('scanPem', () => {
  it('finds each complete block in order, with its body, whatever text surrounds them', () => {
    const text = `Subject: CN=x\n${block('CERTIFICATE', 'MIIB')}junk\r\n${block('PRIVATE KEY')}${block('X509 CRL')}`;
    expect(scanPem(text)).toEqual({
      blocks: [
        { label: 'CERTIFICATE', body: '\nMIIB\n' },
        { label: 'PRIVATE KEY', body: '\nAAAA\n' },
        { label: 'X509 CRL', body: '\nAAAA\n' },
      ],
      tooManyBlocks: false,
    });
  });

  it('reads a block written on one line, as the regex it replaces did', () => {
    expect(scanPem('-----BEGIN CERTIFICATE-----MIIB-----END CERTIFICATE-----').blocks).toEqual([{ label: 'CERTIFICATE', body: 'MIIB' }]);
  });

  it('skips a block cut short by the next BEGIN (truncated or nested) and keeps the inner one', () => {
    expect(labels(`-----BEGIN CERTIFICATE-----\nMIIB\n${block('CERTIFICATE')}`)).toEqual(['CERTIFICATE']);
    expect(labels(`-----BEGIN A-----\n${block('B')}-----END A-----\n`)).toEqual(['B']);
  });

  it('skips a block closed by another label, an END alone, and a BEGIN that never ends', () => {
    expect(labels(`-----BEGIN A-----\nAAAA\n-----END B-----\n${block('C')}`)).toEqual(['C']);
    expect(labels(`-----END A-----\n${block('C')}-----BEGIN D-----\nAAAA`)).toEqual(['C']);
  });

  it('takes no label that is empty, too long, or of other characters', () => {
    expect(labels(block(''))).toEqual([]);
    expect(labels(block('A'.repeat(65)))).toEqual([]);
    expect(labels(block('A'.repeat(64)))).toEqual(['A'.repeat(64)]);
    expect(labels(block('certificate'))).toEqual([]);
    expect(labels(`-----BEGIN ${'-'.repeat(1000)}`)).toEqual([]);
  });

  it(`stops after ${MAX_PEM_BLOCKS} BEGIN lines and says so`, () => {
    expect(scanPem(block('CERTIFICATE').repeat(MAX_PEM_BLOCKS))).toMatchObject({ tooManyBlocks: false });
    expect(scanPem(block('CERTIFICATE').repeat(MAX_PEM_BLOCKS + 1))).toMatchObject({ tooManyBlocks: true });
  });
});
