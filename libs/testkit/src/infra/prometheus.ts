/**
 * Prometheus from the Debian package (/usr/bin/prometheus) with its own config and TSDB.
 * Scrape targets come from a file_sd JSON file that setTargets() rewrites atomically, so tests
 * can point it at services as they start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requirePrometheusBin } from './paths';
import { assertPortFree, spawnManaged, supervise, waitFor, writeFileAtomic, type ManagedProcess } from './process';

export interface PrometheusTarget {
  /** Becomes the `job` label. */
  job: string;
  /** host:port to scrape (path /metrics unless labels.__metrics_path__ says otherwise). */
  instance: string;
  labels?: Record<string, string>;
}

export interface StartPrometheusOptions {
  /** Holds prometheus.yml, targets/, tsdb/ and prometheus.log. */
  dataDir: string;
  /** Web / API port, default 19090. */
  port?: number;
  /** scrape_interval and evaluation_interval, default 1 s. */
  scrapeIntervalSeconds?: number;
  /** Rule files (recording / alerting) to load, absolute or relative to the cwd. */
  ruleFiles?: string[];
  /** Initial targets (same as calling setTargets right after start). */
  targets?: PrometheusTarget[];
  /** Default 60 s. */
  startTimeoutMs?: number;
}

/** The `data` of an instant query: a vector of samples (or a scalar/string for such expressions). */
export interface PromQueryData {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }>;
}

export interface RunningPrometheus {
  /** http://127.0.0.1:<port> */
  url: string;
  readonly pid: number;
  logFile: string;
  /** Replaces the whole target list (atomic file write; Prometheus picks it up within ~1 s). */
  setTargets(targets: PrometheusTarget[]): Promise<void>;
  /** Instant query; resolves to the API's `data` ({resultType, result}); rejects on an API error. */
  query(promql: string): Promise<PromQueryData>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';

function targetsJson(targets: PrometheusTarget[]): string {
  for (const t of targets) {
    if (!/^[^\s/]+:\d+$/.test(t.instance)) throw new Error(`Prometheus target instance must be host:port, got '${t.instance}'`);
  }
  return `${JSON.stringify(
    targets.map((t) => ({ targets: [t.instance], labels: { ...(t.labels ?? {}), job: t.job } })),
    null,
    2,
  )}\n`;
}

export async function startPrometheus(opts: StartPrometheusOptions): Promise<RunningPrometheus> {
  const port = opts.port ?? 19090;
  const interval = `${opts.scrapeIntervalSeconds ?? 1}s`;
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const bin = requirePrometheusBin();
  const dataDir = path.resolve(opts.dataDir);
  const targetsDir = path.join(dataDir, 'targets');
  const tsdb = path.join(dataDir, 'tsdb');
  for (const d of [targetsDir, tsdb]) fs.mkdirSync(d, { recursive: true });
  const targetsFile = path.join(targetsDir, 'targets.json');
  if (opts.targets || !fs.existsSync(targetsFile)) writeFileAtomic(targetsFile, targetsJson(opts.targets ?? []));

  const ruleFiles = (opts.ruleFiles ?? []).map((f) => path.resolve(f));
  for (const f of ruleFiles) {
    if (!fs.existsSync(f)) throw new Error(`Prometheus: rule file ${f} does not exist`);
  }
  // JSON is valid YAML: no YAML writer needed.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: ruleFiles,
    scrape_configs: [
      {
        job_name: 'file_sd', // replaced by each target's `job` label
        file_sd_configs: [{ files: [path.join(targetsDir, '*.json')], refresh_interval: '1s' }],
      },
    ],
  };
  const configFile = path.join(dataDir, 'prometheus.yml');
  writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`);

  const url = `http://${HOST}:${port}`;
  const logFile = path.join(dataDir, 'prometheus.log');
  const controls = await supervise(
    async (): Promise<ManagedProcess> => {
      await assertPortFree('Prometheus', port);
      return spawnManaged({
        name: 'prometheus',
        command: bin,
        args: [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${tsdb}`,
          '--storage.tsdb.retention.time=1d',
          `--web.listen-address=${HOST}:${port}`,
          '--web.enable-lifecycle',
          '--log.level=info',
        ],
        cwd: dataDir,
        logFile,
        pidDir: dataDir,
        stopGraceMs: 15_000,
      });
    },
    async (p) => {
      await waitFor(
        async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(3000) })).status === 200,
        { timeoutMs, what: `Prometheus on ${url} to be ready (/-/ready)`, process: p },
      );
    },
  );

  return {
    url,
    get pid() {
      return controls.pid;
    },
    logFile,
    async setTargets(targets: PrometheusTarget[]): Promise<void> {
      writeFileAtomic(targetsFile, targetsJson(targets));
    },
    async query(promql: string): Promise<PromQueryData> {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`, {
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { status: string; data?: unknown; error?: string; errorType?: string };
      if (body.status !== 'success') {
        throw new Error(`Prometheus query failed (${body.errorType ?? res.status}): ${body.error ?? 'unknown error'} — query: ${promql}`);
      }
      return body.data as PromQueryData;
    },
    stop: () => controls.stop(),
    kill: () => controls.kill(),
    restart: () => controls.restart(),
  };
}
