export { testPlatform, uniqueName } from './platform.ts';
export type { TestPlatform } from './platform.ts';
