import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The client examples of the product's original API docs (a copy of seeds 000, 002 and 004
 * in test/fixtures/seeds), taken out of the docs as they are written and run against
 * this API, with only their base URL (and the placeholder for a token) pointed at it.
 */
const seedsDir = fileURLToPath(new URL('../fixtures/seeds/', import.meta.url));

/** The fenced code blocks of a seed (`000`, `002`, …) in `lang`, in the order they appear. */
export function codeBlocks(seed: string, lang: string): string[] {
  const file = readdirSync(seedsDir).find((f) => f.startsWith(`${seed}_`));
  if (!file) throw new Error(`no seed ${seed} in ${seedsDir}`);
  const blocks: string[] = [];
  let open: string[] | null = null;
  for (const line of readFileSync(join(seedsDir, file), 'utf8').split('\n')) {
    if (open === null && line === `\`\`\`${lang}`) open = [];
    else if (open !== null && line.startsWith('```')) {
      blocks.push(open.join('\n'));
      open = null;
    } else open?.push(line);
  }
  return blocks;
}

/** The one block of a seed in `lang` that contains `marker` (a class name, a call). */
export function codeBlock(seed: string, lang: string, marker: string): string {
  const found = codeBlocks(seed, lang).filter((b) => b.includes(marker));
  if (found.length !== 1) throw new Error(`seed ${seed}: ${found.length} ${lang} blocks contain ${JSON.stringify(marker)}`);
  return found[0];
}

/** `code` with each of `replacements`' keys (the doc's base URL, its token placeholder) replaced everywhere. */
export function pointedAt(code: string, replacements: Record<string, string>): string {
  return Object.entries(replacements).reduce((text, [from, to]) => text.split(from).join(to), code);
}

/** Runs an example as an ES module with this Node (its top-level await needs one); resolves its output, rejects with it on a non-zero exit. */
export function runJavaScript(code: string, timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'seed-example-'));
  const file = join(dir, 'example.mjs');
  writeFileSync(file, code);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file], { cwd: dir, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}
