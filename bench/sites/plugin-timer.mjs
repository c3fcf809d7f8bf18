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
    const outside = {};
    globalThis[KEY] = { spans, outside };
    if (out) process.on('exit', () => writeFileSync(out, JSON.stringify({ spans, outside, totalMs: Object.values(spans).reduce((n, s) => n + s.ms, 0) })));
  }
  return globalThis[KEY];
}

function add(name, ms, where = 'spans') {
  const spans = table()[where];
  spans[name] ??= { calls: 0, ms: 0 };
  spans[name].calls++;
  spans[name].ms += ms;
}

/**
 * Eleventy hands a transform its page as a rope (the template's output, concatenated piece by piece).
 * V8 flattens a rope once, in place, the first time anything reads its characters: whatever reads the
 * page first pays for it, the transform or else Eleventy's own write of the file. That is the build's
 * cost, not the transform's, so it is done here before the transform's clock starts, and reported apart
 * (`outside`, not in the total).
 */
function flattenedFirst(transform) {
  if (!out || typeof transform !== 'function') return transform;
  return function (content, ...rest) {
    if (typeof content === 'string' && content.length > 0) {
      const started = process.hrtime.bigint();
      content.charCodeAt(content.length >> 1);
      add("flattening Eleventy's page string", Number(process.hrtime.bigint() - started) / 1e6, 'outside');
    }
    return transform.call(this, content, ...rest);
  };
}

/**
 * The page a transform returns, when it is a new string, is a rope again (the page cut where the link
 * elements go, and joined): flattening it is work the plugin causes, which Eleventy's write would do
 * after the transform's clock stopped. It is done inside the transform's time instead.
 */
function flattenedResult(transform) {
  if (!out || typeof transform !== 'function') return transform;
  return function (content, ...rest) {
    const result = transform.call(this, content, ...rest);
    if (typeof result === 'string' && result !== content && result.length > 0) result.charCodeAt(result.length >> 1);
    return result;
  };
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
          if (property === 'addTransform') args[at] = flattenedFirst(timed(`${property}(${args[0]})`, flattenedResult(args[at])));
          else args[at] = timed(`${property}(${args[0]})`, args[at]);
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
