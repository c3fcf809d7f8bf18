import type { PingbackAstroOptions } from '@pingback/astro';
export declare const pingbackOptions: PingbackAstroOptions;
export declare const DEPLOYED_URL: string;
