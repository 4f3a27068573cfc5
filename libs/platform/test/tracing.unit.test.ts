// The platform's tracing exports traces only: it never sends the instrumentations' metrics or any
// logs over OTLP, which the SDK would otherwise do by default (to localhost:4318 with no endpoint
// set), retrying at shutdown for longer than a program's grace.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';

test('no metrics or logs are exported over OTLP, and tracing shuts down at once', async () => {
  // A collector that records what reaches it: the SDK's default exporters are pointed at it.
  const received: string[] = [];
  const collector = createServer((req: IncomingMessage, res) => {
    received.push(req.url ?? '');
    res.end();
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(__dirname, 'tracing-exports.fixture.ts')], {
      env: {
        PATH: process.env.PATH,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${base}/v1/metrics`,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${base}/v1/logs`,
        OTEL_METRIC_EXPORT_INTERVAL: '200',
      },
      timeout: 30_000,
    });
    const ms = Number(/shutdown (\d+) ms/.exec(stdout)?.[1]);
    expect(received).toEqual([]);
    expect(ms).toBeLessThan(1_000);
  } finally {
    collector.close();
  }
}, 40_000);
