import type { IntegrationOptions } from '@pingback/core';
export declare const pingbackOptions: IntegrationOptions;
export declare const DEPLOYED_URL: string;
