import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { API_PREFIX, API_VERSION, routes } from '../../api/app.ts';
import { buildOpenApi } from '../../api/openapi.ts';

/**
 * The served OpenAPI document passes Redocly's recommended rules and Spectral's OpenAPI
 * rules with no error and no warning. The document is generated from the route
 * definitions, so a route added without what the linters want fails here.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'aisec-openapi-'));
const file = join(dir, 'openapi.json');
writeFileSync(file, JSON.stringify(buildOpenApi(routes, { title: 'AI Secretary API', version: API_VERSION, prefix: API_PREFIX })));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (bin: string, args: string[]) =>
  promisify(execFile)(join(root, 'node_modules', '.bin', bin), args, { cwd: root, maxBuffer: 16 * 1024 * 1024 }).catch(
    (err: { stdout: string; stderr: string; code: number }) => ({ stdout: err.stdout, stderr: err.stderr, code: err.code }),
  );

describe('the OpenAPI document', () => {
  it('passes Redocly\'s recommended rules', async () => {
    const out = await run('redocly', ['lint', file, '--config', join(root, 'redocly.yaml'), '--format', 'json']);
    const report = JSON.parse(out.stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string }> };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('passes Spectral\'s OpenAPI rules', async () => {
    const out = await run('spectral', ['lint', file, '--ruleset', join(root, '.spectral.yaml'), '--format', 'json', '--quiet']);
    const problems = JSON.parse(out.stdout || '[]') as Array<{ code: string; message: string; path: string[] }>;
    expect(problems.map((p) => `${p.code}: ${p.message} (${p.path.join('.')})`)).toEqual([]);
  }, 60_000);
});
