import { writeFile } from 'node:fs/promises';
import { renderFunction, renderSendFunction } from '../dist/template.js';
import { EXAMPLE_FUNCTION } from './example-function.ts';

const { settings, manifestImport } = EXAMPLE_FUNCTION;
await writeFile(new URL('../../../netlify/functions/pingback.mts', import.meta.url), renderFunction(settings, manifestImport));
await writeFile(new URL('../../../netlify/functions/pingback-send-background.mts', import.meta.url), renderSendFunction(settings, manifestImport));
