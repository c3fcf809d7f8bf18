import { writeFile } from 'node:fs/promises';
import { renderFunction } from '../dist/template.js';
import { EXAMPLE_FUNCTION } from './example-function.ts';

await writeFile(new URL('../../../netlify/functions/pingback.mts', import.meta.url), renderFunction(EXAMPLE_FUNCTION.settings, EXAMPLE_FUNCTION.manifestImport));
