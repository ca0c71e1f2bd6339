// Finds, or else provisions, the Temporal CLI binary (which contains the dev
// server and the Web UI). See ARCHITECTURE.md, "Temporal server binary".
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The CLI release we provision. 1.5.1 is the newest release that `go install`
 * can build from the module proxy (1.6+ need a `replace`d module the proxy
 * does not serve); it bundles Server 1.29.1 and UI 2.42.1.
 */
export const TEMPORAL_CLI_VERSION = '1.5.1';

const MIN_GO = [1, 25] as const;
const EXE = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

/** The folder holding package.json, found from this file rather than cwd so scripts work from anywhere. */
export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Could not find the project root (no package.json above scripts/lib)');
    dir = parent;
  }
  return dir;
}

/**
 * Returns the path of a working `temporal` CLI binary, provisioning one under
 * `<project>/.data/bin` when none is found.
 *
 * Looks, in order, at `$TEMPORAL_CLI_PATH`, `temporal` on `PATH`,
 * `~/.temporalio/bin`, `$(go env GOBIN)` / `$(go env GOPATH)/bin` and
 * `<project>/.data/bin`; a candidate counts only if `temporal --version` runs.
 * Otherwise it builds CLI 1.5.1 with `go install` (Go >= 1.25) or, without Go,
 * downloads the release archive from temporal.download.
 *
 * @param log receives human-readable progress lines (a first build takes minutes).
 * @throws if `$TEMPORAL_CLI_PATH` is set but unusable, or provisioning fails.
 */
export async function ensureTemporalCli(log: (line: string) => void): Promise<string> {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    // An explicit override that is broken should be loud, not silently
    // replaced by some other binary (or a six-minute build).
    const version = await cliVersion(explicit);
    if (!version) throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not a working Temporal CLI (\`--version\` failed)`);
    log(`Using Temporal CLI ${version} at ${explicit} (TEMPORAL_CLI_PATH)`);
    return explicit;
  }

  const go = await goInfo();
  const localBin = path.join(projectRoot(), '.data', 'bin');
  const candidates = [
    ...onPath(EXE),
    path.join(homedir(), '.temporalio', 'bin', EXE),
    ...(go ? go.binDirs.map((dir) => path.join(dir, EXE)) : []),
    path.join(localBin, EXE),
  ];
  for (const candidate of new Set(candidates)) {
    if (!isFile(candidate)) continue;
    const version = await cliVersion(candidate);
    if (version) {
      log(`Using Temporal CLI ${version} at ${candidate}`);
      return candidate;
    }
    log(`Ignoring ${candidate}: \`--version\` did not run`);
  }

  log(`No Temporal CLI found (looked at ${[...new Set(candidates)].join(', ')}).`);
  await mkdir(localBin, { recursive: true });
  if (go && compareVersion(go.version, MIN_GO) >= 0) {
    await buildWithGo(localBin, log);
  } else {
    if (go) log(`Go ${go.version.join('.')} is older than ${MIN_GO.join('.')}; downloading a release instead of building.`);
    await downloadRelease(localBin, log);
  }
  const built = path.join(localBin, EXE);
  const version = await cliVersion(built);
  if (!version) throw new Error(`Provisioned ${built}, but \`${EXE} --version\` does not run`);
  log(`Temporal CLI ready: ${version} at ${built}`);
  return built;
}

/** `temporal --version` output, or undefined when the binary does not run. */
async function cliVersion(binary: string): Promise<string | undefined> {
  try {
    // Generous timeout: the first exec of a ~250 MB binary from a cold disk is slow.
    const { stdout } = await execFileAsync(binary, ['--version'], { timeout: 60_000 });
    return stdout.trim().replace(/^temporal version /, '') || 'unknown version';
  } catch {
    return undefined;
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string[] {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, name));
}

interface GoInfo {
  version: number[];
  /** Where `go install` puts binaries: GOBIN if set, else each GOPATH entry's bin. */
  binDirs: string[];
}

async function goInfo(): Promise<GoInfo | undefined> {
  try {
    const { stdout } = await execFileAsync('go', ['env', 'GOVERSION', 'GOBIN', 'GOPATH'], { timeout: 30_000 });
    const [goVersion = '', gobin = '', gopath = ''] = stdout.split(/\r?\n/);
    const match = /^go(\d+)\.(\d+)/.exec(goVersion.trim());
    const binDirs = [
      ...(gobin.trim() ? [gobin.trim()] : []),
      ...gopath.trim().split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'bin')),
    ];
    return { version: match ? [Number(match[1]), Number(match[2])] : [0, 0], binDirs };
  } catch {
    return undefined;
  }
}

function compareVersion(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

async function buildWithGo(binDir: string, log: (line: string) => void): Promise<void> {
  const args = [
    'install',
    // Without this the binary reports version "0.0.0-DEV".
    '-ldflags',
    `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
    `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
  ];
  log(`Building Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${binDir}.`);
  log('The first build downloads the modules and compiles a ~250 MB binary: about 6 minutes on 2 cores.');
  log('Later builds reuse Go caches. Set TEMPORAL_CLI_PATH to use an existing binary instead.');
  log(`$ GOBIN=${binDir} go ${args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`);

  const started = Date.now();
  const child = spawn('go', args, {
    env: { ...process.env, GOBIN: binDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    log(`  go: ${line.replace(/^go: /, '')}`);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  // `go install` is silent while compiling; a heartbeat shows it is not stuck.
  const timer = setInterval(() => log(`  still building... ${formatElapsed(Date.now() - started)} elapsed`), 30_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) {
      throw new Error(`go install failed (exit code ${code}) after ${formatElapsed(Date.now() - started)}:\n${tail.join('\n')}`);
    }
  } finally {
    clearInterval(timer);
  }
  log(`Built Temporal CLI in ${formatElapsed(Date.now() - started)}.`);
}

/**
 * Downloads the release the same way @temporalio/testing does (sdk-core's
 * ephemeral_server): ask temporal.download which archive fits the platform,
 * then fetch it and pull the binary out.
 */
async function downloadRelease(binDir: string, log: (line: string) => void): Promise<void> {
  const platforms: Partial<Record<string, string>> = { win32: 'windows', darwin: 'darwin', linux: 'linux' };
  const arches: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };
  const platform = platforms[process.platform];
  const arch = arches[process.arch];
  if (!platform || !arch) {
    throw new Error(
      `No Temporal CLI release for ${process.platform}/${process.arch}: install Go >= ${MIN_GO.join('.')} or set TEMPORAL_CLI_PATH`,
    );
  }
  const infoUrl = `https://temporal.download/cli/v${TEMPORAL_CLI_VERSION}?platform=${platform}&arch=${arch}&format=tar.gz`;
  log(`Go not available: downloading Temporal CLI ${TEMPORAL_CLI_VERSION} for ${platform}/${arch}.`);
  log(`Asking ${infoUrl}`);
  const infoRes = await fetch(infoUrl, { signal: AbortSignal.timeout(60_000) });
  if (!infoRes.ok) throw new Error(`GET ${infoUrl} failed: HTTP ${infoRes.status}`);
  const info = (await infoRes.json()) as { archiveUrl?: unknown; fileToExtract?: unknown };
  if (typeof info.archiveUrl !== 'string' || typeof info.fileToExtract !== 'string') {
    throw new Error(`Unexpected answer from ${infoUrl}: ${JSON.stringify(info)}`);
  }
  const { archiveUrl, fileToExtract } = info;

  const work = await mkdtemp(path.join(binDir, '.download-'));
  try {
    const archive = path.join(work, archiveUrl.endsWith('.zip') ? 'cli.zip' : 'cli.tar.gz');
    log(`Downloading ${archiveUrl}`);
    const started = Date.now();
    const res = await fetch(archiveUrl, { signal: AbortSignal.timeout(15 * 60_000) });
    if (!res.ok || !res.body) throw new Error(`GET ${archiveUrl} failed: HTTP ${res.status}`);
    const total = Number(res.headers.get('content-length')) || 0;
    let received = 0;
    let lastReport = Date.now();
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        const pct = total ? ` (${Math.round((100 * received) / total)}%)` : '';
        log(`  ${(received / 1e6).toFixed(1)} MB${pct}, ${formatElapsed(Date.now() - started)} elapsed`);
      }
    });
    await pipeline(body, createWriteStream(archive));
    log(`Downloaded ${(received / 1e6).toFixed(1)} MB in ${formatElapsed(Date.now() - started)}; extracting ${fileToExtract}.`);

    const out = path.join(work, 'out');
    await mkdir(out);
    await extract(archive, out);
    const extracted = path.join(out, fileToExtract);
    if (!isFile(extracted)) {
      throw new Error(`${fileToExtract} not found in ${archiveUrl} (archive holds: ${(await readdir(out)).join(', ')})`);
    }
    await chmod(extracted, 0o755);
    // rename within one folder is atomic, so a concurrent caller never sees a half-written binary.
    await rename(extracted, path.join(binDir, EXE));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Uses the system `tar` (GNU tar on Linux, bsdtar on macOS and Windows 10+, which also reads zip). */
async function extract(archive: string, dest: string): Promise<void> {
  const isZip = archive.endsWith('.zip');
  const [cmd, args] =
    isZip && process.platform !== 'win32' && process.platform !== 'darwin'
      ? ['unzip', ['-q', '-o', archive, '-d', dest]]
      : ['tar', [isZip ? '-xf' : '-xzf', archive, '-C', dest]];
  try {
    await execFileAsync(cmd, args, { timeout: 5 * 60_000 });
  } catch (err) {
    throw new Error(`Extracting ${archive} with ${cmd} failed: ${(err as Error).message}`, { cause: err });
  }
}
