import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

/** Debian's PostgreSQL server programs (package `postgresql`), the newest version installed. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length)
    throw new Error(
      'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): run `node scripts/ensure-postgres.ts`, or `apt-get install postgresql`',
    );
  return join(root, versions[0]!, 'bin');
}

/** initdb and postgres refuse to run as root: as root (CI), they run as Debian's `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  url: string;
  port: number;
  /** The URL with a `schema` parameter: each test takes a schema of its own on the one server. */
  urlFor(schema: string): string;
  /** Stops the server: `fast` (SIGINT: aborts sessions, checkpoint) or `immediate` (SIGQUIT: as after a crash). */
  stopServer(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same data and port. */
  startServer(): Promise<void>;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Flush to disk like a production server (benchmarks). Default false: tests need no durability across a power cut. */
  fsync?: boolean;
  maxConnections?: number;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGQUIT');
});

/**
 * A real PostgreSQL server of its own, in a temporary data directory, on a free loopback port, with its
 * socket in that directory too: one per test file, shared by the file's tests.
 */
export async function startPostgres(options: StartOptions = {}): Promise<TestPostgres> {
  const bin = postgresBin();
  const owner = runAs();
  const dir = await mkdtemp(join(tmpdir(), 'pingback-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const spawnOptions = { ...(owner ?? {}), cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } };
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], {
    ...spawnOptions,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await freePort();
  const settings = [
    `port=${port}`,
    'listen_addresses=127.0.0.1',
    `unix_socket_directories=${dir}`,
    `max_connections=${options.maxConnections ?? 200}`,
    // Without fsync a commit still reaches the kernel before it is acknowledged, so killing the server
    // (the restart tests) loses nothing; only a power cut would.
    `fsync=${options.fsync ? 'on' : 'off'}`,
    'shared_buffers=64MB',
  ];
  let server: ChildProcess | undefined;
  let log = '';

  const startServer = async () => {
    const child = spawn(join(bin, 'postgres'), ['-D', data, ...settings.flatMap((s) => ['-c', s])], { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start within 60 s:\n${log}`)), 60_000);
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (/database system is ready to accept connections/.test(log)) {
          clearTimeout(timer);
          log = '';
          resolve();
        }
      };
      child.stderr!.on('data', onData);
      child.stdout!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL exited ${code} while starting:\n${log}`));
      });
    });
  };

  const stopServer = async (mode: 'fast' | 'immediate' = 'fast') => {
    const child = server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    await exited;
  };

  await startServer();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    urlFor: (schema) => `${url}?schema=${schema}`,
    stopServer,
    startServer,
    stop: async () => {
      await stopServer('fast');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
