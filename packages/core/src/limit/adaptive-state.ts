import type { AdaptiveRateConfig } from './adaptive-rate-options.js';

/**
 * The learnt rate of one key and the arithmetic that moves it: `lua/includes/adaptive-state.lua`
 * for `MemoryLimiter`, operation for operation (times in whole µs, the rate rounded to 4
 * decimals and `c`, `win` to whole numbers as the scripts store them), so that one process
 * learns as a fleet sharing Redis does. A change to one is a change to both; a test feeds the
 * same answers and times to each and compares.
 */
export type AdaptiveState = {
  /** The learnt rate, permits per second. */
  r: number;
  /** The rate at the latest 429 (0: none yet, the rate still grows fast). */
  w: number;
  /** When the latest cut took effect, µs: the end of the permits handed out before it. */
  c: number;
  /** The announced rate times the safety factor, permits per second (0: none). */
  a: number;
  /** The window the API announced, ms (0: none). */
  win: number;
};

/** A key nothing is known of. */
export function initialState(cfg: AdaptiveRateConfig): AdaptiveState {
  return {
    r: Math.min(cfg.maxPerSecond, Math.max(cfg.minPerSecond, cfg.initialPerSecond)),
    w: 0,
    c: 0,
    a: 0,
    win: 0,
  };
}

/** The state as the scripts store it (`writeState`): what the next call reads back. */
export function storedState(s: AdaptiveState): AdaptiveState {
  return { r: fixed(s.r, 4), w: fixed(s.w, 4), c: Math.round(s.c), a: fixed(s.a, 4), win: Math.round(s.win) };
}

/** The ceiling of the moment: the user's, and the announced rate when there is one. */
function capOf(s: AdaptiveState, cfg: AdaptiveRateConfig): number {
  return s.a > 0 ? Math.min(cfg.maxPerSecond, s.a) : cfg.maxPerSecond;
}

/** `n` requests answered without a 429 while the key was busy (permits waited on the rate). */
export function grow(s: AdaptiveState, n: number, nowUs: number, cfg: AdaptiveRateConfig): void {
  if (n <= 0) return;
  const cap = capOf(s, cfg);
  for (let i = 0; i < Math.min(n, 1000); i++) {
    let step: number;
    if (s.w === 0 && s.a === 0) {
      // Nothing learnt yet: +0.25/s per answer, about ×1.25 a second at full use.
      step = 0.25;
    } else {
      // The rate of the last 429 was past the limit: settle a tenth below it, then probe.
      const target = s.a > 0 ? s.a : s.w * 0.9;
      if (s.r < target) {
        step = Math.max(0.5 * (target - s.r), cfg.probe * target) / s.r;
      } else if (s.a > 0) {
        step = 0;
      } else {
        // Past it: probe upwards, faster the longer no 429 comes (CUBIC's idea).
        const since = (nowUs - s.c) / 10_000_000;
        step = (cfg.probe * s.w * Math.min(400, Math.max(1, since * since))) / s.r;
      }
    }
    s.r = Math.min(cap, s.r + step);
  }
}

/**
 * A 429 at `nowUs`: cuts, unless within the cooldown after the last cut's `c` (those requests
 * left at the rate already cut). `horizonUs` is when the permits handed out so far end.
 * @returns whether it cut.
 */
export function cut(s: AdaptiveState, nowUs: number, horizonUs: number, cfg: AdaptiveRateConfig): boolean {
  if (nowUs < s.c + cfg.cooldownMs * 1000) return false;
  const factor = s.w === 0 && s.a === 0 ? 0.7 : cfg.decrease;
  s.w = s.r;
  s.r = Math.max(cfg.minPerSecond, s.r * factor);
  s.c = horizonUs;
  return true;
}

/** The API announced `limit` per `windowMs` (0: not stated; the last stated window is kept). */
export function announce(
  s: AdaptiveState,
  limit: number,
  windowMs: number,
  nowUs: number,
  cfg: AdaptiveRateConfig,
): void {
  if (windowMs > 0) s.win = windowMs;
  if (limit <= 0 || s.win <= 0) return;
  s.a = Math.max(cfg.minPerSecond, Math.min(cfg.maxPerSecond, ((limit * 1000) / s.win) * cfg.safety));
  // Soon after a 429 the announcement is a ceiling only: climb back to it by answers.
  s.r = nowUs - s.c >= cfg.holdMs * 1000 ? s.a : Math.min(s.r, s.a);
}

function fixed(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
