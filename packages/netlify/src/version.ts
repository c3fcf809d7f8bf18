/** Kept equal to package.json's version by a test; stamped into generated Functions. */
export const VERSION = '0.1.0';
