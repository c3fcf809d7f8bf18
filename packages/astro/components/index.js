export { default as Pingbacks } from './Pingbacks.astro';
export { default as PingbackCount } from './PingbackCount.astro';
export { default as PingbackMeta } from './PingbackMeta.astro';
export { keyOf, pingbackCount, pingbacksFor } from './data.js';
