import type { Scenario } from '../harness.ts';
import { buildPass } from './build-pass.ts';
import { functionBundle } from './function.ts';
import { postgres } from './postgres.ts';
import { importing } from './importing.ts';
import { reading } from './reading.ts';
import { receiving } from './receiving.ts';
import { sending } from './sending.ts';
import { astroBuild, eleventyBuild } from './site-builds.ts';
import { worstPage } from './worst-page.ts';

export const SCENARIOS: Scenario[] = [buildPass, astroBuild, eleventyBuild, sending, receiving, worstPage, reading, postgres, functionBundle, importing];
