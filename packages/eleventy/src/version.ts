/** Kept equal to package.json's version and `11ty.compatibility` by a test. */
export const VERSION = '0.1.0';
export const ELEVENTY_COMPATIBILITY = '>=3.0.0';
