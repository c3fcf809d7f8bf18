// The bench sites' stopwatch for the integration's own time inside a build: the import of the package, the
// plugin call, and every hook, transform, filter and Vite hook it registers, each timed where it is
// called (hrtime, sync or until its promise settles). Only the bench sites load this, and only with
// PINGBACK_BENCH_TIMES set: it writes the totals there as JSON when the build's process exits.
import { writeFileSync } from 'node:fs';

const KEY = Symbol.for('pingback-bench-timer');
const out = process.env.PINGBACK_BENCH_TIMES;

/** One process-wide table: a config evaluated twice still adds to the same totals. */
function table() {
  if (!globalThis[KEY]) {
    const spans = {};
    globalThis[KEY] = spans;
    if (out) process.on('exit', () => writeFileSync(out, JSON.stringify({ spans, totalMs: Object.values(spans).reduce((n, s) => n + s.ms, 0) })));
  }
  return globalThis[KEY];
}

function add(name, ms) {
  const spans = table();
  spans[name] ??= { calls: 0, ms: 0 };
  spans[name].calls++;
  spans[name].ms += ms;
}

/** `fn` timed under `name`: its own time, through to the settling of the promise it returns. */
export function timed(name, fn) {
  if (!out || typeof fn !== 'function') return fn;
  return function (...args) {
    const started = process.hrtime.bigint();
    const stop = () => add(name, Number(process.hrtime.bigint() - started) / 1e6);
    let result;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      stop();
      throw error;
    }
    if (result && typeof result.then === 'function') return result.finally(stop);
    stop();
    return result;
  };
}

/** Imports the integration, timing the import: `load` is the site's own `() => import(…)`, resolved from there. */
export async function timedImport(load) {
  const started = process.hrtime.bigint();
  const module = await load();
  if (out) add('import', Number(process.hrtime.bigint() - started) / 1e6);
  return module;
}

const ELEVENTY_CALLBACKS = { addPreprocessor: 2, addTransform: 1, addGlobalData: 1, addFilter: 1, addShortcode: 1, on: 1 };

/** The Eleventy plugin, with every callback it gives Eleventy timed. */
export function timedEleventyPlugin(plugin) {
  if (!out) return plugin;
  const wrapped = (eleventyConfig, options) => {
    const config = new Proxy(eleventyConfig, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        const at = ELEVENTY_CALLBACKS[property];
        if (at === undefined || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return (...args) => {
          args[at] = timed(`${property}(${args[0]})`, args[at]);
          return value.apply(target, args);
        };
      },
    });
    return timed('plugin()', plugin)(config, options);
  };
  for (const key of ['eleventyPackage', 'eleventyPluginOptions']) Object.defineProperty(wrapped, key, { value: plugin[key] });
  return wrapped;
}

/** The Astro integration, with its hooks and the hooks of the Vite plugins it adds timed. */
export function timedAstroIntegration(integration) {
  if (!out) return integration;
  const hooks = {};
  for (const [name, hook] of Object.entries(integration.hooks)) {
    hooks[name] = timed(name, (params) => {
      if (typeof params?.updateConfig !== 'function') return hook(params);
      const updateConfig = (config) => {
        for (const plugin of config.vite?.plugins ?? []) {
          for (const key of ['resolveId', 'load', 'transform']) if (typeof plugin[key] === 'function') plugin[key] = timed(`vite ${key}`, plugin[key]);
        }
        return params.updateConfig(config);
      };
      return hook({ ...params, updateConfig });
    });
  }
  return { ...integration, hooks };
}
