import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { runServer } from 'verdaccio';
import { ROOT, pnpmCommand } from './pack.ts';

const run = promisify(execFile);

/** The six packages, in the order a release publishes them (each after what it depends on). */
export const PACKAGES = ['core', 'postgres', 'netlify', 'cli', 'astro', 'eleventy'] as const;

/**
 * npm's own CLI, run by this Node (the workspace's Node 24) rather than by whatever `node` the system's
 * npm shebang finds: the stack needs Node >= 22.12 and the system Node here is 20.
 */
const NPM_CLI = join(dirname(realpathSync(onPath('npm'))), 'npm-cli.js');
const NPX_CLI = join(dirname(NPM_CLI), 'npx-cli.js');

function onPath(command: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      return realpathSync(join(dir, command));
    } catch {
      // not in this folder
    }
  }
  throw new Error(`${command} is not on PATH`);
}

export interface LocalRegistry {
  url: string;
  /** A user config holding this registry's auth token, and nothing of the user's. */
  publishConfig: string;
  /** What the registry proxies everything that is not ours to: npm's own configured registry. */
  upstream: string;
  close(): Promise<void>;
}

/** npm's settings as npm reads them on this machine (its registry and how it reaches it). */
async function npmSettings(): Promise<Record<string, string>> {
  const { stdout } = await run(process.execPath, [NPM_CLI, 'config', 'get', 'registry', 'cafile', 'https-proxy', 'proxy'], { encoding: 'utf8' });
  const settings: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    const value = line.slice(at + 1).trim();
    if (at > 0 && value && value !== 'null' && value !== 'undefined') settings[line.slice(0, at).trim()] = value;
  }
  return settings;
}

/**
 * Verdaccio on 127.0.0.1 (port 0), storage in `dir`: `@pingback/*` only from what is published to it, every
 * other package proxied to the registry npm uses here, the way npm reaches it (its CA file and proxy).
 */
export async function startRegistry(dir: string): Promise<LocalRegistry> {
  const npm = await npmSettings();
  const upstream = npm.registry ?? 'https://registry.npmjs.org/';
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const uplink: Record<string, unknown> = { url: upstream, timeout: '60s', max_fails: 5, fail_timeout: '10s', cache: true };
  // Node's `ca` replaces the default roots, so hand over the whole file npm trusts, as npm does.
  if (npm.cafile) uplink.ca = readFileSync(npm.cafile, 'utf8');
  const proxy = npm['https-proxy'] ?? npm.proxy;
  if (proxy) uplink.https_proxy = proxy;
  const config = {
    self_path: join(dir, 'config.yaml'),
    storage: join(dir, 'storage'),
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 10 } },
    uplinks: { upstream: uplink },
    packages: {
      // Ours never come from upstream: a stale or foreign copy there can't stand in for what was published.
      '@pingback/*': { access: '$all', publish: '$authenticated' },
      '**': { access: '$all', publish: '$authenticated', proxy: 'upstream' },
    },
    web: { enable: false },
    log: { type: 'stdout', format: 'json', level: 'error' },
    max_body_size: '50mb',
  };
  const server = (await runServer(config as never)) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;

  // A user for publishing, through the same endpoint `npm adduser` uses; its token goes into a config of our own.
  const response = await fetch(`${url}-/user/org.couchdb.user:release`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'release', password: 'release-password', email: 'release@example.invalid' }),
  });
  const { token } = (await response.json()) as { token?: string };
  if (!response.ok || !token) throw new Error(`the local registry refused to add a user: ${response.status}`);
  const publishConfig = join(dir, 'publish.npmrc');
  writeFileSync(publishConfig, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);

  return {
    url,
    publishConfig,
    upstream,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `pnpm publish` of one workspace package, as a release does it: its prepack, files and exports, workspace: ranges rewritten. */
export async function publishPackage(name: string, registry: LocalRegistry): Promise<string> {
  const { file, args } = pnpmCommand(['publish', '--no-git-checks', '--registry', registry.url]);
  const { stdout, stderr } = await run(file, args, {
    cwd: join(ROOT, 'packages', name),
    encoding: 'utf8',
    env: { ...process.env, npm_config_userconfig: registry.publishConfig, NPM_CONFIG_USERCONFIG: registry.publishConfig, PATH: nodeFirstPath() },
  });
  return `${stdout}${stderr}`;
}

/** PATH with this Node's folder first, so `#!/usr/bin/env node` bins and npm's lifecycle scripts run on it. */
export function nodeFirstPath(): string {
  return `${dirname(process.execPath)}${delimiter}${process.env.PATH}`;
}

export interface UserShell {
  /** The environment a user's shell would have: only this registry, an empty cache, this Node first on PATH. */
  env: NodeJS.ProcessEnv;
  npm(args: string[], cwd: string, extraEnv?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }>;
  npx(args: string[], cwd: string, extraEnv?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }>;
  node(args: string[], cwd: string, extraEnv?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }>;
}

/**
 * A user's machine, as far as npm sees it: a user config naming only the local registry (none of this
 * machine's own settings), an npm cache that starts empty, no npm_* variables inherited from pnpm or vitest.
 */
export function userShell(dir: string, registry: LocalRegistry): UserShell {
  mkdirSync(join(dir, 'npm-cache'), { recursive: true });
  const userconfig = join(dir, 'user.npmrc');
  writeFileSync(userconfig, `registry=${registry.url}\ncache=${join(dir, 'npm-cache')}\nfund=false\naudit=false\nupdate-notifier=false\n`);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_|NODE_PATH$)/i.test(key)));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    PATH: nodeFirstPath(),
    NPM_CONFIG_USERCONFIG: userconfig,
    ASTRO_TELEMETRY_DISABLED: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  const call =
    (...before: string[]) =>
    (args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) =>
      run(process.execPath, [...before, ...args], { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { env, npm: call(NPM_CLI), npx: call(NPX_CLI), node: call() };
}
