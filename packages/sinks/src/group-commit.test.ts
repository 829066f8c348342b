import { describe, expect, it } from 'vitest';
import { GroupCommit, type Outcome } from './group-commit.js';

/** A promise and the functions that settle it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((done, fail) => {
    resolve = done;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Lets every pending microtask and I/O-free continuation run. */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A group whose commits wait for the test: `batches` lists what each took, `finish(n)` ends the n-th. */
function manualGroup(options: { maxWrites?: number; maxSize?: number } = {}) {
  const batches: string[][] = [];
  const commits: ReturnType<typeof deferred<readonly Outcome<string>[] | undefined>>[] = [];
  const group = new GroupCommit<string, string>({
    maxWrites: options.maxWrites ?? 16,
    ...(options.maxSize === undefined ? {} : { maxSize: options.maxSize, sizeOf: (write) => write.length }),
    commit: async (batch) => {
      batches.push([...batch]);
      const commit = deferred<readonly Outcome<string>[] | undefined>();
      commits.push(commit);
      const outcomes = await commit.promise;
      return outcomes ?? batch.map((write) => ({ ok: true, value: `${write} stored` }));
    },
  });
  const finish = (index: number, outcomes?: readonly Outcome<string>[]) => commits[index]?.resolve(outcomes);
  return { group, batches, commits, finish };
}

/** Follows a promise: `state()` says whether it is pending, resolved (with what) or rejected. */
function followed<T>(promise: Promise<T>) {
  let state:
    | { status: 'pending' }
    | { status: 'resolved'; value: T }
    | { status: 'rejected'; reason: unknown } = {
    status: 'pending',
  };
  promise.then(
    (value) => {
      state = { status: 'resolved', value };
    },
    (reason: unknown) => {
      state = { status: 'rejected', reason };
    },
  );
  return () => state;
}

describe('GroupCommit', () => {
  it('lets the next batch get under way (past a process tick) before settling the writes of the one committed', async () => {
    const sent: string[][] = [];
    const commits: ReturnType<typeof deferred<void>>[] = [];
    const group = new GroupCommit<string, string>({
      maxWrites: 16,
      commit: async (batch) => {
        // As a store does: borrowing a connection takes a tick before anything is sent.
        await new Promise<void>((resolve) => process.nextTick(resolve));
        sent.push([...batch]);
        const commit = deferred();
        commits.push(commit);
        await commit.promise;
        return batch.map((write) => ({ ok: true, value: `${write} stored` }));
      },
    });
    let sentWhenSettled: string[][] | undefined;
    const first = group.submit('a').then((value) => {
      // A writer hands over more writes here, and prepares them: the next batch is out already.
      sentWhenSettled = sent.map((batch) => [...batch]);
      return value;
    });
    await drain();
    const second = group.submit('b');
    await drain();

    commits[0]?.resolve();
    await expect(first).resolves.toBe('a stored');

    expect(sentWhenSettled).toEqual([['a'], ['b']]);
    commits[1]?.resolve();
    await expect(second).resolves.toBe('b stored');
  });

  it('commits writes submitted in the same turn as one batch', async () => {
    const { group, batches, finish } = manualGroup();

    const writes = ['a', 'b', 'c'].map((write) => group.submit(write));
    await drain();
    finish(0);

    expect(await Promise.all(writes)).toEqual(['a stored', 'b stored', 'c stored']);
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('resolves no write before its batch has committed', async () => {
    const { group, finish } = manualGroup();
    const states = ['a', 'b'].map((write) => followed(group.submit(write)));

    await drain();
    expect(states.map((state) => state().status)).toEqual(['pending', 'pending']);

    finish(0);
    await drain();
    expect(states.map((state) => state().status)).toEqual(['resolved', 'resolved']);
  });

  it('puts the writes that arrive while a batch commits together into the next batch', async () => {
    const { group, batches, finish } = manualGroup();
    const first = group.submit('a');
    await drain();

    const later = ['b', 'c', 'd'].map((write) => followed(group.submit(write)));
    await drain();
    expect(batches).toEqual([['a']]);
    finish(0);
    await first;
    await drain();

    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    expect(later.map((state) => state().status)).toEqual(['pending', 'pending', 'pending']);
    finish(1);
    await drain();
    expect(later.map((state) => state().status)).toEqual(['resolved', 'resolved', 'resolved']);
  });

  it('takes at most maxWrites writes into a batch, the oldest first', async () => {
    const { group, batches, finish } = manualGroup({ maxWrites: 2 });

    const writes = ['a', 'b', 'c', 'd', 'e'].map((write) => group.submit(write));
    for (let index = 0; index < 3; index += 1) {
      await drain();
      finish(index);
    }
    await Promise.all(writes);

    expect(batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('takes at most maxSize into a batch, and a write larger than that alone', async () => {
    const { group, batches, finish } = manualGroup({ maxSize: 5 });

    const writes = ['aa', 'bbb', 'c', 'dddddddd', 'e'].map((write) => group.submit(write));
    for (let index = 0; index < 4; index += 1) {
      await drain();
      finish(index);
    }
    await Promise.all(writes);

    expect(batches).toEqual([['aa', 'bbb'], ['c'], ['dddddddd'], ['e']]);
  });

  it('settles each write with its own outcome', async () => {
    const { group, finish } = manualGroup();
    const failure = new Error('b refused');
    const states = ['a', 'b', 'c'].map((write) => followed(group.submit(write)));
    await drain();

    finish(0, [
      { ok: true, value: 'a ok' },
      { ok: false, error: failure },
      { ok: true, value: 'c ok' },
    ]);
    await drain();

    expect(states.map((state) => state())).toEqual([
      { status: 'resolved', value: 'a ok' },
      { status: 'rejected', reason: failure },
      { status: 'resolved', value: 'c ok' },
    ]);
  });

  it('fails every write of a batch whose commit throws, and carries on with the next batch', async () => {
    const { group, commits, finish } = manualGroup();
    const failure = new Error('connection lost');
    const failed = ['a', 'b'].map((write) => group.submit(write).catch((error: unknown) => error));
    await drain();
    const next = group.submit('c');

    commits[0]?.reject(failure);
    await drain();
    finish(1);

    expect(await Promise.all(failed)).toEqual([failure, failure]);
    expect(await next).toBe('c stored');
  });

  it('is idle once no write waits and no batch runs', async () => {
    const { group, finish } = manualGroup();
    await expect(group.idle()).resolves.toBeUndefined();

    const first = group.submit('a');
    const idle = followed(group.idle());
    await drain();
    const second = group.submit('b');
    finish(0);
    await first;
    await drain();
    expect(idle().status).toBe('pending');

    finish(1);
    await second;
    await drain();
    expect(idle().status).toBe('resolved');
  });
});
