// `npm run temporal:install` / `npm pretest`: make sure a Temporal CLI binary
// exists (building or downloading it if needed) and print its path on stdout.
import { ensureTemporalCli } from './lib/temporalCli.ts';

try {
  // Progress goes to stderr so stdout carries only the path (usable as $(node scripts/temporal-cli.ts)).
  const cliPath = await ensureTemporalCli((line) => process.stderr.write(`[temporal-cli] ${line}\n`));
  process.stdout.write(`${cliPath}\n`);
} catch (err) {
  process.stderr.write(`[temporal-cli] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
