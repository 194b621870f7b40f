export { testPlatform, uniqueName } from './platform.ts';
export type { TestPlatform } from './platform.ts';
export { testClientProfile } from './profile.ts';
