export { main } from './main.ts';
export type { Io } from './io.ts';
export { Exit } from './io.ts';
