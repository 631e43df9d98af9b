/**
 * Makes a Temporal server available for the demo: use whatever answers at TEMPORAL_ADDRESS, or start
 * `temporal server start-dev` (scripts/temporal-dev.sh: SQLite under KKACHI_HOME, Web UI, Kkachi's
 * search attributes) on that loopback address and stop it afterwards unless asked to keep it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_NAMES } from '../contract';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const DEFAULT_UI_PORT = 8233;

export interface TemporalServer {
  address: string;
  /** Web UI base URL, when known (a server we started, or the dev server's default for loopback). */
  uiUrl: string | null;
  /** True when this process started the server (and `stop` ends it). */
  started: boolean;
  logFile: string | null;
  /** Process id of a server this process started. */
  pid: number | null;
  stop(): Promise<void>;
}

export interface EnsureServerOptions {
  address: string;
  /** TLS, API key and metadata for a server we did not start (envconfig). */
  connection: ConnectionOptions & { address: string };
  namespace: string;
  home: string;
  /** Leave a server we start running after `stop()` (detached, with its log under KKACHI_HOME). */
  keep: boolean;
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

/** True when something accepts TCP connections at host:port within the timeout. */
export function portAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function splitAddress(address: string): { host: string; port: number } {
  const index = address.lastIndexOf(':');
  return { host: address.slice(0, index), port: Number(address.slice(index + 1)) };
}

/** Runs scripts/install-temporal.sh (installs the CLI into .venv when missing); returns the binary's path. */
export async function ensureTemporalCli(): Promise<string> {
  try {
    const { stdout } = await execFileAsync('bash', [path.join(ROOT, 'scripts', 'install-temporal.sh')], { cwd: ROOT, maxBuffer: 4 * 1024 * 1024 });
    return stdout.trim().split('\n').pop() as string;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(stderr || `scripts/install-temporal.sh failed: ${(err as Error).message}`);
  }
}

/** Registers Kkachi's search attributes on a server that lacks them (a server we did not start). */
export async function ensureSearchAttributes(connectionOptions: ConnectionOptions & { address: string }, namespace: string): Promise<string[]> {
  const connection = await Connection.connect({ ...connectionOptions, connectTimeout: '5s' });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !(name in (existing.customAttributes ?? {})));
    if (missing.length > 0) {
      const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((n) => [n, keyword])) });
    }
    return missing;
  } finally {
    await connection.close();
  }
}

async function waitUntilReady(address: string, child: ChildProcess, logFile: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
      throw new Error(`temporal server start-dev exited (${child.exitCode ?? child.signalCode}): ${tail || 'no output'} (log: ${logFile})`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: '2s' });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`temporal server start-dev did not answer at ${address} within ${timeoutMs / 1000}s (log: ${logFile})`);
}

function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function ensureTemporalServer(opts: EnsureServerOptions): Promise<TemporalServer> {
  const { host, port } = splitAddress(opts.address);
  if (await portAnswers(host, port)) {
    const added = await ensureSearchAttributes(opts.connection, opts.namespace);
    if (added.length > 0) opts.log(`registered search attributes ${added.join(', ')} on ${opts.address}`);
    const uiUrl = opts.env.KKACHI_TEMPORAL_UI_URL ?? (LOOPBACK.has(host) ? `http://${host}:${DEFAULT_UI_PORT}` : null);
    return { address: opts.address, uiUrl, started: false, logFile: null, pid: null, stop: async () => undefined };
  }
  if (!LOOPBACK.has(host)) throw new Error(`nothing answers at TEMPORAL_ADDRESS=${opts.address}; the demo starts a dev server only on a loopback address`);

  const cli = await ensureTemporalCli();
  opts.log(`Temporal CLI: ${cli}`);
  const requestedUi = Number(opts.env.KKACHI_TEMPORAL_UI_PORT) || DEFAULT_UI_PORT;
  // Another dev server (or anything) on the UI port would make start-dev fail; take a free one instead.
  const uiPort = (await portAnswers(host, requestedUi)) ? await freePort(host) : requestedUi;
  mkdirSync(opts.home, { recursive: true });
  const logFile = path.join(opts.home, 'temporal-dev.log');
  const out = openSync(logFile, 'a');
  const child = spawn('bash', [path.join(ROOT, 'scripts', 'temporal-dev.sh'), '--log-level', 'warn'], {
    cwd: ROOT,
    // Its own process group: Ctrl-C in the terminal reaches the demo, which then stops the server in order.
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...opts.env, TEMPORAL_ADDRESS: opts.address, TEMPORAL_NAMESPACE: opts.namespace, KKACHI_HOME: opts.home, KKACHI_TEMPORAL_UI_PORT: String(uiPort) },
  });
  closeSync(out);
  try {
    await waitUntilReady(opts.address, child, logFile);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  if (opts.keep) child.unref();
  return {
    address: opts.address,
    uiUrl: `http://${host}:${uiPort}`,
    started: true,
    logFile,
    pid: child.pid ?? null,
    stop: () => (opts.keep ? Promise.resolve() : stopChild(child)),
  };
}
