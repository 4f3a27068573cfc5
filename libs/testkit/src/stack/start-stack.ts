// Starts the gateway and the five subgraphs as real processes against running infrastructure,
// waits until each reports ready, and points Prometheus at them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnManaged, waitFor, type ManagedProcess } from '../infra/process';
import type { RunningPrometheus } from '../infra/prometheus';
import { programSpecs, type PortPlan, type ProgramSpec, type StackEndpoints } from './programs';

export interface RunningProgram {
  spec: ProgramSpec;
  process: ManagedProcess;
  httpUrl: string;
  logFile: string;
}

export interface RunningStack {
  gatewayUrl: string;
  programs: RunningProgram[];
  program(name: string): RunningProgram;
  /** Starts a stopped or killed program again and waits until it is ready. */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartStackOptions {
  repoRoot: string;
  runDir: string;
  endpoints: StackEndpoints;
  ports: PortPlan;
  prometheus?: RunningPrometheus;
  /** Extra settings for every program (e.g. NODE_ENV, LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  onProgress?: (message: string) => void;
}

export async function startStack(opts: StartStackOptions): Promise<RunningStack> {
  const specs = programSpecs(opts.repoRoot, opts.ports);
  for (const spec of specs) {
    if (!fs.existsSync(spec.entry)) throw new Error(`${spec.name}: ${spec.entry} does not exist; build first with: npm run build`);
  }
  fs.mkdirSync(opts.runDir, { recursive: true });
  const running = new Map<string, RunningProgram>();

  async function launch(spec: ProgramSpec): Promise<RunningProgram> {
    const logFile = path.join(opts.runDir, `${spec.name}.log`);
    const proc = await spawnManaged({
      name: spec.name,
      command: process.execPath,
      args: ['--enable-source-maps', spec.entry],
      logFile,
      pidDir: opts.runDir,
      cwd: opts.repoRoot,
      stopGraceMs: 15_000,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        HTTP_PORT: String(spec.httpPort),
        // Every subgraph and gRPC server refuses requests without a signed identity; the gateway
        // too where gatewayAuthRequired (otherwise a request without credentials is the default
        // project's anonymous admin, which is what `npm start` offers a developer).
        AUTH_REQUIRED: 'true',
        INTERNAL_AUTH_SECRET: opts.endpoints.auth.internalSecret,
        ...(opts.env ?? {}),
        ...spec.env(opts.endpoints, opts.ports),
      },
    });
    const httpUrl = `http://127.0.0.1:${spec.httpPort}`;
    await waitFor(
      async () => {
        const res = await fetch(`${httpUrl}/readyz`);
        return res.status === 200;
      },
      { timeoutMs: opts.readyTimeoutMs ?? 90_000, what: `${spec.name} to report ready on ${httpUrl}/readyz`, process: proc, intervalMs: 200 },
    );
    opts.onProgress?.(`${spec.name} ready on ${httpUrl}`);
    const program = { spec, process: proc, httpUrl, logFile };
    running.set(spec.name, program);
    return program;
  }

  const stopAll = async () => {
    await Promise.allSettled([...running.values()].map((p) => p.process.stop()));
  };
  try {
    const subgraphs = specs.filter((s) => s.name !== 'gateway');
    await Promise.all(subgraphs.map(launch));
    await launch(specs.find((s) => s.name === 'gateway')!);
  } catch (err) {
    await stopAll();
    throw err;
  }
  await opts.prometheus?.setTargets(specs.map((s) => ({ job: s.name, instance: `127.0.0.1:${s.httpPort}` })));

  const program = (name: string) => {
    const p = running.get(name);
    if (!p) throw new Error(`no program named ${name}`);
    return p;
  };
  return {
    gatewayUrl: `${program('gateway').httpUrl}/graphql`,
    get programs() {
      return [...running.values()];
    },
    program,
    async restart(name) {
      const p = program(name);
      if (!p.process.exitStatus) await p.process.stop();
      await launch(p.spec);
    },
    stop: stopAll,
  };
}
