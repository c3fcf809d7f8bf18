export { default as Pingbacks } from './Pingbacks.astro';
export { default as PingbackCount } from './PingbackCount.astro';
export { default as PingbackMeta } from './PingbackMeta.astro';
export { default as Linkbacks } from './Linkbacks.astro';
export { default as LinkbackCount } from './LinkbackCount.astro';
export { default as LinkbackStyles } from './LinkbackStyles.astro';
export { keyOf, linkbackCount, linkbacksFor, pingbackCount, pingbacksFor } from './data.js';
