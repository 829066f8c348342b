import { from, type Observable, of } from 'rxjs';

/** Whether a value is a thenable. */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * An Observable of a value that may or may not be a promise. A plain value stays synchronous,
 * which keeps in-memory limiters on the virtual time of marble tests.
 */
export function fromMaybePromise<T>(value: T | PromiseLike<T>): Observable<T> {
  return isPromiseLike(value) ? from(value) : of(value);
}
