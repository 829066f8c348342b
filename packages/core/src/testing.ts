export type { DrivenChain, DrivePaginatorOptions } from './testing/drive-paginator.js';
export { drivePaginator } from './testing/drive-paginator.js';
export type { SyntheticSourceSpec, SyntheticTask } from './testing/synthetic-source.js';
export { chainSpec, SyntheticSource, seededRandom } from './testing/synthetic-source.js';
