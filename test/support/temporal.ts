/**
 * A real Temporal dev server per test file: `temporal server start-dev --headless` on a free loopback
 * port with Kkachi's search attributes, plus a client and a native connection for workers.
 *
 *   const env = await startTemporal({ suggestContinueAsNew: 40 });
 *   const bundle = await bundleWorkflows();          // once per file (built once per source state)
 *   ...
 *   afterAll(() => env.stop());
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { IllegalStateError } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SEARCH_ATTRIBUTE_NAMES } from '../../src/contract';

const ROOT = resolve(__dirname, '../..');

export interface TemporalEnv {
  address: string;
  namespace: string;
  client: Client;
  /** For workers created in the test process. */
  nativeConnection: NativeConnection;
  /** Stops the server process only (an outage): clients and workers stay, and reconnect after `startServer`. */
  stopServer(): Promise<void>;
  /** Starts the server again on the same port and database file, and waits until it answers. */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartTemporalOptions {
  /** Sets `limit.historyCount.suggestContinueAsNew` so continue-as-new happens after this many events. */
  suggestContinueAsNew?: number;
  /** Other dynamic config values, e.g. `{ 'limit.historySize.suggestContinueAsNew': 1_000_000 }`. */
  dynamicConfig?: Record<string, number>;
  /** False: a bare server without Kkachi's search attributes (default: registered). */
  searchAttributes?: boolean;
}

/** The Temporal CLI: `temporal` on PATH or `.venv/bin/temporal`, else installed by scripts/install-temporal.sh. */
export function temporalBinary(): string {
  const local = join(ROOT, '.venv/bin/temporal');
  if (existsSync(local)) return local;
  const out = execFileSync(join(ROOT, 'scripts/install-temporal.sh'), { encoding: 'utf8' }).trim().split('\n');
  return out[out.length - 1] as string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export async function startTemporal(options: StartTemporalOptions = {}): Promise<TemporalEnv> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'kkachi-temporal-'));
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', join(dir, 'temporal.db'), '--log-level', 'error'];
  const attributes = options.searchAttributes === false ? [] : SEARCH_ATTRIBUTE_NAMES;
  for (const name of attributes) args.push('--search-attribute', `${name}=Keyword`);
  const dynamic = { ...options.dynamicConfig };
  if (options.suggestContinueAsNew !== undefined) dynamic['limit.historyCount.suggestContinueAsNew'] = options.suggestContinueAsNew;
  for (const [key, value] of Object.entries(dynamic)) args.push('--dynamic-config-value', `${key}=${value}`);
  let stderr = '';
  const launch = (): ChildProcess => {
    const child = spawn(temporalBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    return child;
  };
  let server = launch();

  try {
    const connection = await connectWhenReady(address, server, () => stderr, attributes);
    installQuietRuntime();
    const nativeConnection = await NativeConnection.connect({ address });
    const client = new Client({ connection, namespace: 'default' });
    return {
      address,
      namespace: 'default',
      client,
      nativeConnection,
      stopServer: () => stopProcess(server),
      async startServer() {
        server = launch();
        await (await connectWhenReady(address, server, () => stderr, attributes)).close();
      },
      async stop() {
        await nativeConnection.close();
        await connection.close();
        // Its database is deleted next: a graceful shutdown (~1.4 s) would only delay the next test file.
        await stopProcess(server, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopProcess(server);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Workers log every state change at INFO, and some tests provoke warnings on purpose: errors only. Core
 * (Rust) logs go through the same logger, so a test that stops the server is not flooded with poll retries.
 * Installed when a server starts, not at import: the runtime shuts down once its last connection closes,
 * but one nobody used never does, and its log channel kept jest's process alive after the suite.
 */
function installQuietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  } catch (err) {
    if (!(err instanceof IllegalStateError)) throw err; // already installed by an earlier server of this file
  }
}

/** Waits until the frontend answers and the search attributes are registered (server fully up). */
async function connectWhenReady(address: string, server: ChildProcess, stderr: () => string, attributes: readonly string[]): Promise<Connection> {
  const deadline = Date.now() + 30_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`temporal dev server exited with ${server.exitCode}: ${stderr()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      if (attributes.every((name) => customAttributes?.[name] !== undefined)) return connection;
      await connection.close();
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`temporal dev server on ${address} did not become ready: ${String(lastError)} ${stderr()}`);
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Bundles src/workflows (webpack: seconds of CPU); pass the result as `workflowBundle` to every worker.
 * `interceptorModules`: workflow interceptors to build in (e.g. tracing's WORKFLOW_TRACING_MODULE);
 * `failureConverterPath`: the workers' data converter's (e.g. encryption's SEALED_FAILURES_PATH).
 * A bundle is kept in os.tmpdir() under a hash of everything it is built from (every file under src/,
 * the lock file, the options), so the test files of one run, and the next run, build it once.
 */
export async function bundleWorkflows(options: { interceptorModules?: string[]; failureConverterPath?: string } = {}): Promise<WorkflowBundleWithSourceMap> {
  // One name per checkout and options; the rest of the file name says which sources it was built from.
  const name = createHash('sha256').update(ROOT).update(JSON.stringify(options)).digest('hex').slice(0, 16);
  const cached = join(BUNDLE_CACHE, `${name}-${sourcesHash()}.js`);
  try {
    return { code: readFileSync(cached, 'utf8'), sourceMap: '' };
  } catch {
    // not built from these sources yet
  }
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    workflowInterceptorModules: options.interceptorModules ?? [],
    failureConverterPath: options.failureConverterPath,
    logger: quietLogger,
  });
  mkdirSync(BUNDLE_CACHE, { recursive: true });
  for (const old of readdirSync(BUNDLE_CACHE)) if (old.startsWith(`${name}-`)) rmSync(join(BUNDLE_CACHE, old), { force: true });
  // Written aside, then renamed: a test file running in parallel never reads half a bundle.
  const partial = `${cached}.${process.pid}.partial`;
  writeFileSync(partial, bundle.code);
  renameSync(partial, cached);
  return bundle;
}

const BUNDLE_CACHE = join(tmpdir(), 'kkachi-workflow-bundles');

/** Every file under src/ and the lock file (the packages webpack pulls in), by path and content. */
function sourcesHash(): string {
  const hash = createHash('sha256');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
  for (const file of [...files(join(ROOT, 'src')).sort(), join(ROOT, 'package-lock.json')]) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 32);
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
