/**
 * A throwaway PostgreSQL 15 cluster for tests: `initdb` into a temp dir and `pg_ctl start` on a free
 * loopback port (as the `postgres` user when running as root, since the server refuses root), then
 * `stop()` shuts it down and removes the dir. `database()` creates a fresh empty database per call.
 *
 *   const pg = await startPostgres();
 *   const url = await pg.database();        // postgres://postgres@127.0.0.1:PORT/kkachi_1
 *   afterAll(() => pg.stop());
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './temporal';

const run = promisify(execFile);

export interface PostgresCluster {
  /** URL of the cluster's default database (for admin work). */
  adminUrl: string;
  /** Creates an empty database and returns its URL. */
  database(): Promise<string>;
  stop(): Promise<void>;
}

/** `KKACHI_PG_BIN`, else Debian's PostgreSQL 15 location, else whatever `pg_ctl` is on PATH. */
function binary(name: 'initdb' | 'pg_ctl'): string {
  const dir = process.env.KKACHI_PG_BIN ?? '/usr/lib/postgresql/15/bin';
  const path = join(dir, name);
  return existsSync(path) ? path : name;
}

/** The server refuses to run as root: as root, run its tools as `postgres` on a dir it owns. */
function asServerUser(dir: string): string[] {
  if (userInfo().uid !== 0) return [];
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!entry) throw new Error('running as root needs a `postgres` system user to run the PostgreSQL server');
  const [, , uid, gid] = entry.split(':');
  chownSync(dir, Number(uid), Number(gid));
  return ['runuser', '-u', 'postgres', '--'];
}

async function tool(prefix: string[], name: 'initdb' | 'pg_ctl', args: string[]): Promise<void> {
  const [command, ...rest] = [...prefix, binary(name), ...args];
  try {
    await run(command as string, rest, { timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${name} failed (set KKACHI_PG_BIN to the PostgreSQL 15 bin dir if it is elsewhere): ${e.stderr || e.message}`);
  }
}

export async function startPostgres(): Promise<PostgresCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'kkachi-pg-'));
  const data = join(dir, 'data');
  const prefix = asServerUser(dir);
  const port = await freePort();
  await tool(prefix, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  await tool(prefix, 'pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let databases = 0;
  return {
    adminUrl,
    async database() {
      const name = `kkachi_${++databases}`;
      const admin = new Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await tool(prefix, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
