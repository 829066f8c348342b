import { InvalidTaskError } from './errors.js';

/** A value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;

/** A plain object whose values are all {@link JsonValue}s. */
export type JsonObject = { readonly [key: string]: JsonValue };

/**
 * Serialises a JSON value with object keys sorted at every level, so that two objects with the
 * same content give the same string whatever order their keys were written in.
 *
 * @throws {InvalidTaskError} when the value holds anything JSON cannot carry faithfully:
 * `undefined`, functions, symbols, bigints, non-finite numbers, class instances (a `Date` would
 * come back as a string) or a cycle.
 * @example canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  // The fast path tracks no paths; when it meets something JSON cannot carry, the careful one
  // runs again to say where (a task key is computed for every task, an error almost never).
  const ancestors: object[] = [];
  const text = fast(value, ancestors);
  return text === undefined ? serialise(value, '$', new Set()) : text;
}

/** {@link serialise} without paths: undefined where it would throw. */
function fast(value: unknown, ancestors: object[]): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'object':
      break;
    default:
      return undefined;
  }
  const object = value as object;
  if (ancestors.includes(object)) return undefined;
  ancestors.push(object);
  let text: string | undefined;
  if (Array.isArray(object)) {
    text = '[';
    for (let index = 0; index < object.length; index += 1) {
      const item = fast(object[index], ancestors);
      if (item === undefined) return undefined;
      text += index === 0 ? item : `,${item}`;
    }
    text += ']';
  } else {
    const prototype = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) return undefined;
    const record = object as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    text = '{';
    for (let index = 0; index < keys.length; index += 1) {
      const key = keys[index] as string;
      const field = fast(record[key], ancestors);
      if (field === undefined) return undefined;
      text += `${index === 0 ? '' : ','}${JSON.stringify(key)}:${field}`;
    }
    text += '}';
  }
  ancestors.pop();
  return text;
}

function serialise(value: unknown, path: string, ancestors: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, `the number ${value}`);
      return JSON.stringify(value);
    case 'object':
      break;
    case 'undefined':
      throw notJson(path, 'undefined');
    default:
      throw notJson(path, `a ${typeof value}`);
  }
  const object = value as object;
  if (ancestors.has(object)) throw notJson(path, 'a reference to one of its own ancestors (a cycle)');
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${object.map((item, index) => serialise(item, `${path}[${index}]`, ancestors)).join(',')}]`;
    }
    const prototype = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) {
      throw notJson(path, `an instance of ${object.constructor?.name ?? 'a class'}`);
    }
    const record = object as Record<string, unknown>;
    const fields = Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${serialise(record[key], `${path}.${key}`, ancestors)}`);
    return `{${fields.join(',')}}`;
  } finally {
    ancestors.delete(object);
  }
}

function notJson(path: string, what: string): InvalidTaskError {
  return new InvalidTaskError(`Task is not JSON-serialisable: ${path} is ${what}.`);
}
