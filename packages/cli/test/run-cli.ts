import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `capital` command; the test script builds it before Vitest runs. */
export const binPath = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Fails early, with the fix, when the CLI has not been built. */
export function assertCliBuilt(): void {
  if (!existsSync(binPath)) {
    throw new Error(`${binPath} does not exist: run \`pnpm build\` before the CLI integration tests.`);
  }
}

/** How a `capital` process ended, and everything it printed. */
export type CliResult = {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
};

/** Options of {@link startCli} and {@link runCli}. */
export type CliOptions = {
  /** The working folder of the process. */
  readonly cwd: string;
  /** Added to the environment (which never holds `WTD_API_TOKEN`, so runs do not depend on the shell's). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The process is killed (SIGKILL) if it runs longer, so a hung CLI fails its test instead of
   * outliving it.
   * @default 90_000
   */
  readonly killAfterMs?: number;
};

/** A `capital` process still running. */
export type RunningCli = {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout, as soon as it is printed. */
  waitForStdout(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<CliResult>;
};

function cliEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  if (!('WTD_API_TOKEN' in extra)) delete env.WTD_API_TOKEN;
  delete env.FORCE_COLOR;
  return env;
}

/** Starts `node dist/bin.js ...args` with stdin ignored and stdout, stderr collected. */
export function startCli(args: readonly string[], options: CliOptions): RunningCli {
  const child = spawn(process.execPath, [binPath, ...args], {
    cwd: options.cwd,
    env: cliEnvironment(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of waiters.splice(0)) waiter();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let ended = false;
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 90_000);
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      ended = true;
      clearTimeout(killer);
      for (const waiter of waiters.splice(0)) waiter();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForStdout: (pattern) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(stdout);
          if (match) resolve(match);
          else if (ended) {
            reject(new Error(`capital exited before printing ${pattern}; stderr:\n${stderr}`));
          } else waiters.push(check);
        };
        check();
      }),
  };
}

/** Runs `capital ...args` to the end. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).exited;
}
