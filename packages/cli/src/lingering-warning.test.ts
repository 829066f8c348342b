import { describe, expect, it } from 'vitest';
import { lingeringPrefix, lingeringWarning } from './lingering-warning.js';

describe('lingeringWarning', () => {
  it('names what is open, without the forcing timer and the standard streams', () => {
    expect(lingeringWarning(['PipeWrap', 'TTYWrap', 'Timeout', 'TCPSocketWrap', 'TCPSocketWrap'])).toBe(
      `${lingeringPrefix} (2× TCPSocketWrap); exiting`,
    );
  });

  it('counts timers beyond the one that forces the exit', () => {
    expect(lingeringWarning(['Timeout', 'Timeout', 'PipeWrap'])).toBe(
      `${lingeringPrefix} (Timeout); exiting`,
    );
  });

  it('says so when nothing it can name is open', () => {
    expect(lingeringWarning(['Timeout'])).toBe(`${lingeringPrefix} (nothing named); exiting`);
  });
});
