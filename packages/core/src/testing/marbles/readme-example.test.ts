import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const readmeUrl = new URL('../../../../../README.md', import.meta.url);
const exampleUrl = new URL('./readme-example.marble.test.ts', import.meta.url);

describe("the README's marble example", () => {
  it('is, character for character, the test file that runs it', async () => {
    const readme = await readFile(readmeUrl, 'utf8');
    const section = readme.split('\n## Test your pipeline with marbles\n')[1] ?? '';
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBe(await readFile(exampleUrl, 'utf8'));
  });
});
