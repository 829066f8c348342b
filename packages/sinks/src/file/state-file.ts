import type { RunInfo } from '@capital/core';

/** What the state file holds: every job's runs that wrote this output, oldest first. */
export type StateFile = { readonly version: 1; readonly runs: RunInfo[] };

/**
 * Each run's JSON, made once for each version of it (a new version is a new object): a run writes
 * the state file twice, changing one of its up to ~50 runs each time.
 */
const runsJson = new WeakMap<RunInfo, string>();

/**
 * The state file's text: JSON, one run a line (which also reads well, and diffs a run at a time),
 * from each run's JSON made once (see {@link runsJson}).
 */
export function stateText(state: StateFile): string {
  let text = `{"version":${state.version},"runs":[`;
  let separator = '\n';
  for (const run of state.runs) {
    let json = runsJson.get(run);
    if (json === undefined) {
      json = JSON.stringify(run);
      runsJson.set(run, json);
    }
    text += `${separator}${json}`;
    separator = ',\n';
  }
  return `${text}${state.runs.length === 0 ? '' : '\n'}]}\n`;
}

/** A state file as this process last read or wrote it, and the file's identity then. */
export type KnownState = { readonly identity: string; readonly state: StateFile };

/**
 * The state files this process last read or wrote, by path, newest last; never changed in place
 * (a new version is a new object), so a ledger may hand out what it holds.
 */
const knownStates = new Map<string, KnownState>();

/** The state files {@link knownStates} holds at most: a process writing more reads the others again. */
const maxKnownStates = 16;

/** The state file at `path` as this process last read or wrote it, if it still knows it. */
export function knownState(path: string): KnownState | undefined {
  return knownStates.get(path);
}

/** Remembers the state file at `path` as this process read or wrote it; `undefined` forgets it. */
export function rememberState(path: string, known: KnownState | undefined): void {
  knownStates.delete(path);
  if (known === undefined) return;
  knownStates.set(path, known);
  if (knownStates.size > maxKnownStates) knownStates.delete(knownStates.keys().next().value as string);
}
