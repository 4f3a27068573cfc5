// Run by tracing.unit.test.ts in a process of its own: starts the platform's tracing as a program
// does (no OTLP endpoint for traces), serves and makes instrumented HTTP calls, and shuts tracing
// down, printing how long that took.
import { createRequire } from 'node:module';
import { startTracing } from '../src/tracing';

const tracing = startTracing('tracing-fixture');
// Loaded after tracing started, as in a program, so that the instrumentation patches it.
const http = createRequire(__filename)('node:http') as typeof import('node:http');

const get = (url: string) =>
  new Promise<void>((resolve, reject) => http.get(url, (res) => res.resume().on('end', () => resolve())).on('error', reject));

async function main(): Promise<void> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  for (let i = 0; i < 3; i++) await get(`http://127.0.0.1:${port}/`);
  await new Promise<void>((r) => server.close(() => r()));
  const started = Date.now();
  await tracing.shutdown();
  process.stdout.write(`shutdown ${Date.now() - started} ms\n`);
}

void main();
