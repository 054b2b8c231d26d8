// The pipeline examples of docs/gitops.md ("Plan on every pull request") are YAML that parses, run
// validate before plan --output markdown with a read-only token file, and a post that fails fails
// the job: the GitLab job's posting script is run here against a server that refuses it.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const doc = readFileSync(new URL('../../../docs/gitops.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## Plan on every pull request'));
const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/gitops.md pipelines', () => {
  it('GitHub Actions: validate, then plan in markdown with a token file, then a comment step that can fail', () => {
    const workflow = parse(blocks[0]!) as { jobs: { plan: { steps: { name?: string; run?: string }[] } } };
    const steps = workflow.jobs.plan.steps;
    const names = steps.map((s) => s.name);
    expect(names.indexOf('validate')).toBeLessThan(names.indexOf('plan'));
    expect(names.indexOf('plan')).toBeLessThan(names.indexOf('comment'));
    const plan = steps.find((s) => s.name === 'plan')!.run!;
    expect(plan).toMatch(/--output markdown/);
    expect(plan).toMatch(/--chaman-token-file \/creds\/chaman-token/);
    expect(plan).toMatch(/if \[ "\$status" = 1 \]; then exit 1; fi/);
    expect(steps.find((s) => s.name === 'comment')!.run).toMatch(/^gh pr comment .*--body-file plan\.md$/);
    expect(blocks[0]).not.toMatch(/\|\| true|continue-on-error/);
  });

  it('GitLab CI: validate, then plan, then a post that exits 1 when refused and 0 when accepted', async () => {
    const job = (parse(blocks[1]!) as Record<string, { script: string[] }>)['chaman-plan']!;
    const lines = job.script;
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/validate -f/)).toBeLessThan(at(/plan -f .*--output markdown/));
    const post = lines.find((l) => l.startsWith('node -e'))!;
    const script = post.slice("node -e '".length, post.lastIndexOf("'"));
    const dir = mkdtempSync(join(tmpdir(), 'gitops-'));
    writeFileSync(join(dir, 'plan.md'), '### chaman-operator plan\n');
    for (const [status, exit] of [[500, 1], [201, 0]] as const) {
      const bodies: string[] = [];
      const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c)).on('end', () => {
          bodies.push(body);
          res.writeHead(status).end('{}');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const env = { ...process.env, CI_API_V4_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`, CI_PROJECT_ID: '7', CI_MERGE_REQUEST_IID: '3', GITLAB_NOTE_TOKEN: 't' };
      const run = promisify(execFile)(process.execPath, ['-e', script], { cwd: dir, env }).then(() => 0, (e: { code: number }) => e.code);
      expect(await run).toBe(exit);
      server.close();
      expect(JSON.parse(bodies[0]!)).toEqual({ body: '### chaman-operator plan\n' });
    }
  });
});
