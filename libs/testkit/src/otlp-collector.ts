// A minimal OTLP/HTTP trace receiver for tests: accepts the JSON encoding the OpenTelemetry JS
// exporters send to <endpoint>/v1/traces and appends one line per span to a JSONL file, so that
// tests in other processes can read what the running programs traced.
import { appendFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  service: string;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[] }> }>;
  }>;
}

const valueOf = (v: OtlpValue) => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue));
const attributes = (list: OtlpAttribute[] | undefined) => Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));

export interface RunningCollector {
  endpoint: string;
  file: string;
  stop(): Promise<void>;
}

export async function startOtlpCollector(file: string): Promise<RunningCollector> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const request = JSON.parse(body.toString('utf8')) as OtlpRequest;
        const lines: string[] = [];
        for (const rs of request.resourceSpans ?? []) {
          const service = String(attributes(rs.resource?.attributes)['service.name'] ?? 'unknown');
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              const span: CollectedSpan = {
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || null,
                name: s.name,
                kind: s.kind,
                service,
                attributes: attributes(s.attributes),
              };
              lines.push(JSON.stringify(span));
            }
          }
        }
        if (lines.length) appendFileSync(file, `${lines.join('\n')}\n`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      } catch (err) {
        res.writeHead(400);
        res.end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    file,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function readCollectedSpans(file: string): CollectedSpan[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CollectedSpan);
}
