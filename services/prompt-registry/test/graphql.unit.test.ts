// The subgraph's Prompt.versions in-process: pages oldest first by version number, 10 when no
// size is asked for, and a size outside 1..100 is BAD_USER_INPUT naming `first`.
import { textVersion } from './memory-store';
import { startSubgraph } from './subgraph';

let subgraph: Awaited<ReturnType<typeof startSubgraph>>;

beforeAll(async () => {
  subgraph = await startSubgraph();
  await subgraph.service.createPrompt({ name: 'many', description: null, tags: [] });
  for (let i = 1; i <= 25; i++) await subgraph.service.createVersion(textVersion('many', `v${i}`));
});

afterAll(() => subgraph.stop());

const VERSIONS = `query($first: Int!, $after: Int) { prompt(name: "many") { versions(first: $first, after: $after) { number template } } }`;
const numbers = async (variables: Record<string, unknown>) => {
  const r = await subgraph.run<{ prompt: { versions: Array<{ number: number; template: string }> } }>(VERSIONS, variables);
  expect(r.errors).toBeUndefined();
  return r.data!.prompt.versions.map((v) => v.number);
};
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('versions page oldest first: at most `first`, numbered above `after`', async () => {
  expect(await numbers({ first: 2 })).toEqual([1, 2]);
  expect(await numbers({ first: 2, after: 2 })).toEqual([3, 4]);
  expect(await numbers({ first: 10, after: 20 })).toEqual([21, 22, 23, 24, 25]);
  expect(await numbers({ first: 10, after: 25 })).toEqual([]);
  expect(await numbers({ first: 100 })).toEqual(range(1, 25));
});

test('versions without arguments are the oldest 10', async () => {
  const r = await subgraph.run<{ prompt: { versions: Array<{ number: number }> } }>(`{ prompt(name: "many") { versions { number } } }`);
  expect(r.data!.prompt.versions.map((v) => v.number)).toEqual(range(1, 10));
});

test.each([0, -1, 101])('versions(first: %d) is BAD_USER_INPUT naming first', async (first) => {
  const r = await subgraph.run(VERSIONS, { first });
  expect(r.data).toBeNull();
  expect(r.errors?.[0]).toMatchObject({ message: 'first: must be between 1 and 100', extensions: { code: 'BAD_USER_INPUT', field: 'first' } });
});
