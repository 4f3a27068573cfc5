// The remote backend against an HTTP server that answers status 200 but not embeddings: whatever
// goes wrong after the headers is UNAVAILABLE naming the backend, with what was wrong as the cause.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnavailableError } from '@llmops/platform';
import { OpenAiEmbeddingBackend } from '../src/adapters/embedding-backend.openai';
import { embeddingModelCatalog } from '../src/domain/catalog';

const spec = embeddingModelCatalog['all-minilm-l6-v2-q']!;
let answer: (res: ServerResponse) => void;
let server: Server;
let backend: OpenAiEmbeddingBackend;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  backend = new OpenAiEmbeddingBackend(spec, { baseUrl: url, timeoutMs: 500 });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const inputs = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `text ${i}`, ids: [101, 102], truncated: false }));
const json = (body: unknown) => (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const vector = () => Array.from({ length: spec.dimensions }, () => 0.1);

test.each<[string, (res: ServerResponse) => void, RegExp]>([
  ['an HTML page with status 200', (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in</html>'), /not JSON \(text\/html\): <html>Sign in/],
  ['a body that never ends (read timeout)', (res) => res.writeHead(200, { 'content-type': 'application/json' }).write('{"data": ['), /failed while sending its answer/],
  ['no data', json({ error: 'nope' }), /no data array/],
  ['the wrong number of embeddings', json({ data: [{ index: 0, embedding: vector() }] }), /answered 1 embeddings for 2 inputs/],
  ['an item without its embedding', json({ data: [{ index: 0, embedding: vector() }, { index: 1 }] }), /no embedding array for input 1/],
  ['a null item', json({ data: [{ index: 0, embedding: vector() }, null] }), /answered index undefined/],
  ['an embedding of the wrong size', json({ data: [{ index: 0, embedding: vector() }, { index: 1, embedding: [1, 2] }] }), /answered 2 dimensions/],
  ['an embedding that is not numbers', json({ data: [{ index: 0, embedding: vector() }, { index: 1, embedding: vector().map(() => 'x') }] }), /not all finite numbers/],
  ['the same index twice', json({ data: [{ index: 0, embedding: vector() }, { index: 0, embedding: vector() }] }), /no embedding for input 1/],
])('%s is UNAVAILABLE naming the backend and what was wrong', async (_case, respond, what) => {
  answer = respond;
  const err = await backend.embed(inputs(2)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UnavailableError);
  expect(err).toMatchObject({ code: 'UNAVAILABLE', dependency: `embedding backend ${url}/v1/embeddings` });
  expect(((err as Error).cause as Error).message).toMatch(what);
  expect(((err as Error).cause as Error).message).toContain(url);
});

test('a well-formed answer in any order gives the vectors in input order', async () => {
  answer = json({ data: [{ index: 1, embedding: vector().map(() => 0.2) }, { index: 0, embedding: vector() }] });
  const out = await backend.embed(inputs(2));
  expect(out.map((v) => v[0])).toEqual([Math.fround(0.1), Math.fround(0.2)]);
});
