import { createHash } from 'node:crypto';
import type { PaginationError, PaginationErrorCode } from './pagination-error.js';
import type { PaginationState } from './paginator.js';

/**
 * Brent's cycle detection over a chain's positions (cursors, URLs, page contents), in constant
 * state carried by the task. Not exported from the package.
 */

/** A 64-bit prefix of SHA-256 in hex: short enough to travel in every task, collisions ~2⁻⁶⁴. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

export type Brent = Pick<PaginationState, 'first' | 'previous' | 'mark' | 'power' | 'steps'>;

export function pickBrent(state: PaginationState): Brent {
  return {
    ...(state.first === undefined ? {} : { first: state.first }),
    ...(state.previous === undefined ? {} : { previous: state.previous }),
    ...(state.mark === undefined ? {} : { mark: state.mark }),
    power: state.power,
    steps: state.steps,
  };
}

/**
 * Brent's cycle detection, one position at a time, in O(1) state. `mark` is the position at
 * index 1, 2, 4, 8…; each is compared with the positions up to twice its index. If position j
 * is the first to repeat an earlier one and the source is deterministic from then on (the same
 * cursor leads to the same page), the repeat is caught by position 3j at the latest. Two common
 * cases are caught at once: an echo (the previous position again, through `previous`) and a
 * link back to the chain's start (through `first`).
 */
export function advance(
  state: Brent,
  position: string,
  fail: (code: PaginationErrorCode, reason: string) => PaginationError,
): Brent {
  const value = digest(position);
  if (value === state.first) throw fail('cycle', 'the chain came back to its first page');
  if (value === state.previous)
    throw fail('cycle', 'the next page is the same as this one (an echoed cursor)');
  if (value === state.mark) throw fail('cycle', 'the chain came back to a page it had already had');
  if (state.mark === undefined || state.first === undefined) {
    return { first: value, previous: value, mark: value, power: 1, steps: 0 };
  }
  const steps = state.steps + 1;
  return steps >= state.power
    ? { first: state.first, previous: value, mark: value, power: state.power * 2, steps: 0 }
    : { first: state.first, previous: value, mark: state.mark, power: state.power, steps };
}
