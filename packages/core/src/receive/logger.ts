/** Where library code reports: the host's logger (Astro's, Eleventy's, Netlify's console). Never bodies or secrets. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
