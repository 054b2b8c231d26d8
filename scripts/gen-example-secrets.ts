// Writes the Secrets that examples/ references (certificates, FTP password, SSH key) to --out DIR.
// Generated afresh each time; never commit them (examples/generated/ is ignored by git).
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exampleSecrets, toYaml } from '../src/devtools/example-secrets.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'examples/generated' }, namespace: { type: 'string' } } });
const out = values.out!;
mkdirSync(out, { recursive: true });
const file = join(out, 'secrets.yaml');
writeFileSync(file, toYaml(await exampleSecrets(values.namespace ? { namespace: values.namespace } : {})), { mode: 0o600 });
console.log(`wrote ${file} (certificates, FTP password and SSH key for examples/; do not commit)`);
