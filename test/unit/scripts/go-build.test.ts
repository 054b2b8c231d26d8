// The Go tool builder's pure parts: which package a tool module builds, and the cache key that
// decides whether a cached binary can be reused.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goBuildHash, type GoBinarySpec } from '../../../scripts/lib/go-build.ts';
import { goToolSpec } from '../../../scripts/lib/gotool.ts';

describe('goToolSpec', () => {
  it('builds the go.mod tool line of an upstream command, with tool.json tags', () => {
    expect(goToolSpec('promtool')).toMatchObject({ name: 'promtool', pkg: 'github.com/prometheus/prometheus/cmd/promtool', tags: ['remove_all_sd'] });
  });

  it('builds the module itself when it has no tool line', () => {
    expect(goToolSpec('kstatus')).toMatchObject({ name: 'kstatus', pkg: '.' });
  });

  it('names the missing module, and refuses a name that is not a tool name', () => {
    expect(() => goToolSpec('no-such-tool')).toThrow('test/tools/no-such-tool/go.mod does not exist');
    expect(() => goToolSpec('../controlplane')).toThrow(/not a tool name/);
  });
});

describe('goBuildHash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaman-gobuild-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'go.mod'), 'module example.com/t\n\ngo 1.26.0\n');
  writeFileSync(join(dir, 'main.go'), 'package main\n\nfunc main() {}\n');
  const spec: GoBinarySpec = { name: 't', moduleDir: dir, pkg: '.' };

  it('changes with the sources, go.mod, tool.json, the build tags and flags; not with bin/ or other files', () => {
    const base = goBuildHash(spec);
    expect(goBuildHash(spec)).toBe(base);

    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 't-0123456789abcdef'), 'a binary');
    writeFileSync(join(dir, 'README.md'), 'notes');
    expect(goBuildHash(spec)).toBe(base);

    expect(goBuildHash({ ...spec, tags: ['remove_all_sd'] })).not.toBe(base);
    expect(goBuildHash({ ...spec, ldflags: ['-X main.v=1'] })).not.toBe(base);

    writeFileSync(join(dir, 'tool.json'), '{}');
    const withToolJson = goBuildHash(spec);
    expect(withToolJson).not.toBe(base);

    writeFileSync(join(dir, 'main.go'), 'package main\n\nfunc main() { println() }\n');
    expect(goBuildHash(spec)).not.toBe(withToolJson);
  });
});
