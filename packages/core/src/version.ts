/** Kept equal to package.json's version by a test; a literal so bundlers need no JSON import. */
export const VERSION = '0.1.0';
