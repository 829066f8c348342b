export type { SyntheticSourceSpec, SyntheticTask } from './testing/synthetic-source.js';
export { chainSpec, SyntheticSource, seededRandom } from './testing/synthetic-source.js';
