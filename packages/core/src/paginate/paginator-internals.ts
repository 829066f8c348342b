import { InvalidOptionError } from '../errors.js';
import type { JsonObject } from '../json.js';
import type { Task } from '../task.js';
import { advance, digest, pickBrent } from './brent-internals.js';
import { PaginationError, type PaginationErrorCode } from './pagination-error.js';
import type {
  Expected,
  HeadersLike,
  Page,
  PageStep,
  PaginationState,
  PaginatorBaseOptions,
} from './paginator.js';

/**
 * Shared machinery of the paginators: the chain state a task carries and the checks every page
 * goes through (Brent's cycle detection is in brent-internals.ts). Not exported from the package.
 */

/** The base options with their defaults, checked once where the options enter. */
export type ResolvedBase<B, R> = Omit<
  PaginatorBaseOptions<B, R>,
  'maxPages' | 'stateField' | 'allowEmptyPages'
> & {
  readonly maxPages: number;
  readonly stateField: string;
  readonly allowEmptyPages: boolean;
};

export function resolveBase<B, R>(options: PaginatorBaseOptions<B, R>, param: string): ResolvedBase<B, R> {
  const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
  if (!(maxPages >= 1) || (Number.isFinite(maxPages) && !Number.isInteger(maxPages))) {
    throw new InvalidOptionError('maxPages', `must be a whole number ≥ 1 or Infinity, not ${maxPages}`);
  }
  const stateField = options.stateField ?? 'pagination';
  if (stateField === param) {
    throw new InvalidOptionError('stateField', `must differ from the parameter field '${param}'`);
  }
  return { ...options, maxPages, stateField, allowEmptyPages: options.allowEmptyPages ?? false };
}

/** A header's value, whatever the letter case; several values joined by `, ` as HTTP allows. */
export function readHeader(headers: HeadersLike | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(
    headers as Record<string, string | readonly string[] | undefined>,
  )) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    values.push(...(typeof value === 'string' ? [value] : value));
  }
  return values.length === 0 ? undefined : values.join(', ');
}

/** One page under examination: its chain state, counts and totals, and how to fail. */
export type StepContext<T extends Task> = {
  readonly task: T;
  readonly state: PaginationState;
  readonly records: number;
  /** Records on the chain so far, this page included. */
  readonly after: number;
  readonly totalRecords: number | undefined;
  readonly totalPages: number | undefined;
  readonly hasMore: boolean | undefined;
  /** The key of the page's last record, with `recordKey` and records. */
  readonly lastRecordKey: string | undefined;
  readonly fail: (code: PaginationErrorCode, reason: string) => PaginationError;
};

/**
 * Reads the task's chain state and the page's totals, and fails on what no stop policy can
 * excuse: totals that change or that the records outnumber, and repeated records.
 */
export function examine<T extends Task, B, R>(
  task: T,
  page: Page<B, R>,
  options: ResolvedBase<B, R>,
): StepContext<T> {
  const state = readState(task, options.stateField);
  const fail = (code: PaginationErrorCode, reason: string) =>
    new PaginationError(task, state.page, code, reason);
  if (!Array.isArray(page.records)) throw fail('invalid-page', 'the page has no records array');
  const records = page.records.length;
  const announcedRecords = wholeNumber(options.totalRecords?.(page.body, page), 'total records', fail);
  const announcedPages = wholeNumber(options.totalPages?.(page.body, page), 'total pages', fail);
  const hasMore = options.hasMore?.(page.body, page) ?? undefined;
  if (hasMore !== undefined && typeof hasMore !== 'boolean')
    throw fail('invalid-page', 'has-more is not a boolean');
  const totalRecords = agree(state.totalRecords, announcedRecords, 'records', fail);
  const totalPages = agree(state.totalPages, announcedPages, 'pages', fail);
  const after = state.records + records;
  if (totalRecords !== undefined && after > totalRecords) {
    throw fail(
      'inconsistent-total',
      `the chain has ${after} records with this page, more than the ${totalRecords} announced`,
    );
  }
  if (totalPages !== undefined && state.page > totalPages && records > 0) {
    throw fail('inconsistent-total', `the page has records, yet only ${totalPages} pages were announced`);
  }
  const lastRecordKey = checkKeys(page.records, state.lastKey, options.recordKey, fail);
  return { task, state, records, after, totalRecords, totalPages, hasMore, lastRecordKey, fail };
}

/** The totals a completeness check may expect, where known. */
export function expectedOf(context: StepContext<Task>, pageSize?: number): Expected | undefined {
  const pages =
    context.totalPages ??
    (context.totalRecords !== undefined && pageSize !== undefined
      ? Math.max(1, Math.ceil(context.totalRecords / pageSize))
      : undefined);
  const records = context.totalRecords;
  // Built whole, not spread: it is made on every page.
  if (records === undefined) return pages === undefined ? undefined : { pages };
  return pages === undefined ? { records } : { records, pages };
}

/**
 * Ends the chain at this page, unless what the page or its chain announced says more exists:
 * that is an `ended-early` error, never a silent stop.
 */
export function endChain<T extends Task>(
  context: StepContext<T>,
  why: string,
  pageSize?: number,
): PageStep<T> {
  const { after, totalRecords, totalPages, state, fail } = context;
  if (totalRecords !== undefined && after < totalRecords) {
    throw fail('ended-early', `${why}, but the chain has ${after} of the ${totalRecords} records announced`);
  }
  if (totalPages !== undefined && state.page < totalPages) {
    throw fail('ended-early', `${why}, but ${totalPages} pages were announced`);
  }
  if (context.hasMore === true) throw fail('ended-early', `${why}, but the page says more follow`);
  const expected = expectedOf(context, pageSize);
  return { nextTasks: [], done: true, ...(expected === undefined ? {} : { expected }) };
}

/**
 * Continues the chain to one next task, after the checks that keep it finite: progress, `maxPages`
 * and Brent's cycle detection over `position` (the next cursor or URL, or this page's content).
 */
export function continueChain<T extends Task, B, R>(
  context: StepContext<T>,
  options: ResolvedBase<B, R>,
  position: string | undefined,
  build: (state: PaginationState) => T,
  pageSize?: number,
): PageStep<T> {
  const { state, fail } = context;
  if (context.records === 0 && !options.allowEmptyPages) {
    throw fail(
      'empty-page',
      'the page is empty yet says more pages follow; the chain would make no progress',
    );
  }
  if (state.page + 1 > options.maxPages) {
    throw fail('max-pages', `the chain would grow past maxPages (${options.maxPages})`);
  }
  const brent = position === undefined ? pickBrent(state) : advance(state, position, fail);
  // An empty page (or one without record keys) passes the previous page's last key on.
  const lastKey = context.lastRecordKey === undefined ? state.lastKey : keyToken(context.lastRecordKey);
  const next: PaginationState = {
    page: state.page + 1,
    records: context.after,
    ...(context.totalRecords === undefined ? {} : { totalRecords: context.totalRecords }),
    ...(context.totalPages === undefined ? {} : { totalPages: context.totalPages }),
    ...(lastKey === undefined ? {} : { lastKey }),
    ...brent,
  };
  const expected = expectedOf(context, pageSize);
  return { nextTasks: [build(next)], done: false, ...(expected === undefined ? {} : { expected }) };
}

/** The state of a chain's first page, where the task carries none. */
export const initialState: PaginationState = { page: 1, records: 0, power: 1, steps: 0 };

/** Reads and checks the task's chain state: tasks may come from a queue, so trust nothing. */
export function readState(task: Task, field: string): PaginationState {
  const raw = task[field];
  if (raw === undefined) return initialState;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw stateError(task, field, 'is not an object');
  const state = raw as JsonObject;
  // Field by field, in this order, without arrays of names: it runs on every page.
  if (!isWhole(state.page) || state.page < 1) throw stateError(task, field, 'has no whole page ≥ 1');
  if (!isWhole(state.power) || state.power < 1) throw stateError(task, field, 'has no whole power ≥ 1');
  if (!isWhole(state.records)) throw stateError(task, field, 'has no whole records ≥ 0');
  if (!isWhole(state.steps)) throw stateError(task, field, 'has no whole steps ≥ 0');
  if (state.totalRecords !== undefined && !isWhole(state.totalRecords))
    throw stateError(task, field, 'has a totalRecords that is not a whole number');
  if (state.totalPages !== undefined && !isWhole(state.totalPages))
    throw stateError(task, field, 'has a totalPages that is not a whole number');
  if (state.fanned !== undefined && typeof state.fanned !== 'boolean')
    throw stateError(task, field, 'has a fanned that is not a boolean');
  if (!isOptionalString(state.lastKey)) throw stateError(task, field, 'has a lastKey that is not a string');
  if (!isOptionalString(state.first)) throw stateError(task, field, 'has a first that is not a string');
  if (!isOptionalString(state.previous)) throw stateError(task, field, 'has a previous that is not a string');
  if (!isOptionalString(state.mark)) throw stateError(task, field, 'has a mark that is not a string');
  return state as unknown as PaginationState;
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

function isWhole(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function wholeNumber(
  value: unknown,
  what: string,
  fail: (code: PaginationErrorCode, reason: string) => PaginationError,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isWhole(value)) throw fail('invalid-page', `the ${what} is not a whole number ≥ 0`);
  return value;
}

function agree(
  known: number | undefined,
  announced: number | undefined,
  what: string,
  fail: (code: PaginationErrorCode, reason: string) => PaginationError,
): number | undefined {
  if (known !== undefined && announced !== undefined && known !== announced) {
    throw fail('inconsistent-total', `the page announces ${announced} ${what}, an earlier page ${known}`);
  }
  return announced ?? known;
}

/**
 * Fails on a key repeated within the page or from the previous page; returns the page's last key
 * (its token, hashed if long, is made only where a chain goes on: see {@link continueChain}).
 */
function checkKeys<R>(
  records: readonly R[],
  previousLast: string | undefined,
  recordKey: ((record: R) => string) | undefined,
  fail: (code: PaginationErrorCode, reason: string) => PaginationError,
): string | undefined {
  if (recordKey === undefined || records.length === 0) return undefined;
  // A Set, added to once a key (a repeat leaves its size as it was): a key's index is its place
  // in the Set's order, which only a failure needs.
  const keys = new Set<string>();
  let key = '';
  for (let index = 0; index < records.length; index += 1) {
    key = String(recordKey(records[index] as R));
    const size = keys.size;
    keys.add(key);
    if (keys.size === size)
      throw fail('duplicate-record', `record ${index + 1} of the page repeats an earlier one of it`);
  }
  // A short last key is looked up at once, the page scanned only to say where it repeats; long
  // keys are hashed only when the previous page's last key was: hashing every key of every page
  // would cost more than the rest of the paginator.
  const repeated =
    previousLast === undefined || (previousLast.startsWith('k:') && !keys.has(previousLast.slice(2)))
      ? -1
      : indexOfToken(keys, previousLast);
  if (repeated >= 0) {
    throw fail(
      'duplicate-record',
      `record ${repeated + 1} of the page repeats the last record of the previous page`,
    );
  }
  return key;
}

/** Whether a key is the one a previous page's last key stands for (`k:<key>`, or a long key's `h:<digest>`). */
function isToken(key: string, token: string): boolean {
  return token.startsWith('k:')
    ? key === token.slice(2)
    : key.length > maxPlainKey && keyToken(key) === token;
}

/** The place in `keys` (the page's order) of the key `token` stands for, else -1. */
function indexOfToken(keys: ReadonlySet<string>, token: string): number {
  let index = 0;
  for (const key of keys) {
    if (isToken(key, token)) return index;
    index += 1;
  }
  return -1;
}

/** Keys up to this length travel as they are; longer ones as a digest, so the state stays small. */
const maxPlainKey = 64;

/** A record key as the task carries it: `k:<key>`, or `h:<digest>` for a long key. */
function keyToken(key: string): string {
  return key.length > maxPlainKey ? `h:${digest(key)}` : `k:${key}`;
}

/** The digest of a page's content for content-based cycle detection: its keys, or its JSON. */
export function contentOf<R>(records: readonly R[], recordKey: ((record: R) => string) | undefined): string {
  return recordKey === undefined
    ? JSON.stringify(records)
    : JSON.stringify(records.map((record) => recordKey(record)));
}

/** Checks that a field of a task holds what the paginator needs, or fails with `invalid-state`. */
export function stateError(task: Task, field: string, problem: string): PaginationError {
  return new PaginationError(task, 1, 'invalid-state', `task field '${field}' ${problem}`);
}
