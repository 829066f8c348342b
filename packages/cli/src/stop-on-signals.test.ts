import { describe, expect, it } from 'vitest';
import { type SignalHost, type StopSignal, stopOnSignals } from './stop-on-signals.js';

/** A process stand-in: signals are raised by hand, exits and messages recorded. */
function fakeHost() {
  const listeners = new Map<StopSignal, (() => void)[]>();
  const exits: number[] = [];
  let text = '';
  const host: SignalHost = {
    on: (signal, listener) => listeners.set(signal, [...(listeners.get(signal) ?? []), listener]),
    exit: (code) => exits.push(code),
    stderr: { write: (chunk: string) => (text += chunk) },
  };
  const raise = (signal: StopSignal) => {
    for (const listener of listeners.get(signal) ?? []) listener();
  };
  return { host, raise, exits, stderr: () => text };
}

describe('stopOnSignals', () => {
  it('aborts on the first SIGINT, saying so, without exiting', () => {
    const fake = fakeHost();
    const signal = stopOnSignals(fake.host);
    expect(signal.aborted).toBe(false);
    fake.raise('SIGINT');
    expect(signal.aborted).toBe(true);
    expect(String(signal.reason)).toContain('Interrupted by SIGINT');
    expect(fake.exits).toEqual([]);
    expect(fake.stderr()).toContain('SIGINT: stopping');
  });

  it('aborts on the first SIGTERM too', () => {
    const fake = fakeHost();
    const signal = stopOnSignals(fake.host);
    fake.raise('SIGTERM');
    expect(signal.aborted).toBe(true);
    expect(fake.exits).toEqual([]);
  });

  it('exits at once with 130 on a second SIGINT', () => {
    const fake = fakeHost();
    stopOnSignals(fake.host);
    fake.raise('SIGINT');
    fake.raise('SIGINT');
    expect(fake.exits).toEqual([130]);
    expect(fake.stderr()).toContain('exiting at once');
  });

  it('exits at once on a SIGINT after a SIGTERM began the stop', () => {
    const fake = fakeHost();
    stopOnSignals(fake.host);
    fake.raise('SIGTERM');
    fake.raise('SIGINT');
    expect(fake.exits).toEqual([130]);
  });
});
