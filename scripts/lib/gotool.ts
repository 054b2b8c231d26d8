// The Go tools the tests run for real (promtool, kstatus, the Argo CD Lua runner, ...), each a Go
// module of its own at test/tools/<name>/ with pinned versions in go.mod/go.sum. What to build:
//   - a go.mod `tool` line (e.g. `tool github.com/prometheus/prometheus/cmd/promtool`) when the tool
//     is an upstream command: that package is built;
//   - otherwise the module's own `main` package ('.').
// An optional tool.json may add {"ldflags": ["-X pkg.var=value"], "tags": ["a_build_tag"]}. Built and cached by go-build.ts
// as test/tools/<name>/bin/<name>-<hash>, like the control plane.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureGoBinary, repoRoot, type BuildOptions, type GoBinarySpec } from './go-build.ts';

export const toolsDir = join(repoRoot, 'test', 'tools');

interface ToolJson {
  ldflags?: string[];
  tags?: string[];
}

/** How to build test/tools/<name>, read from its go.mod and optional tool.json. */
export function goToolSpec(name: string): GoBinarySpec {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`gotool: '${name}' is not a tool name (lowercase letters, digits, '-')`);
  const moduleDir = join(toolsDir, name);
  const goModPath = join(moduleDir, 'go.mod');
  if (!existsSync(goModPath)) throw new Error(`gotool: no Go tool '${name}': test/tools/${name}/go.mod does not exist`);
  const tools = [...readFileSync(goModPath, 'utf8').matchAll(/^tool\s+(\S+)\s*$/gm)].map((m) => m[1]!);
  if (tools.length > 1) throw new Error(`gotool: test/tools/${name}/go.mod has ${tools.length} tool lines; keep one per tool module`);
  const toolJsonPath = join(moduleDir, 'tool.json');
  const toolJson: ToolJson = existsSync(toolJsonPath) ? (JSON.parse(readFileSync(toolJsonPath, 'utf8')) as ToolJson) : {};
  return { name, moduleDir, pkg: tools[0] ?? '.', ldflags: toolJson.ldflags, tags: toolJson.tags };
}

/** The absolute path of test/tools/<name>'s binary, built first if its sources changed since the last build. */
export function ensureGoTool(name: string, options: BuildOptions = {}): Promise<string> {
  return ensureGoBinary(goToolSpec(name), options);
}
