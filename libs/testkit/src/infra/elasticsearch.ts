/**
 * Single-node Elasticsearch from the integ-test-zip distribution that scripts/infra/fetch.sh
 * unpacked. ES refuses to run as root: when we are root it runs as the OS user `llmops`
 * (created by fetch.sh), with its config/data/logs in a directory that user owns.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ES_OS_USER, FETCH_COMMAND, esJavaHome, requireElasticsearchHome, systemRunDir } from './paths';
import {
  assertPortFree,
  chownRecursive,
  ensureUserDir,
  runAsWhenRoot,
  spawnManaged,
  supervise,
  waitFor,
  writeFileAtomic,
  type ManagedProcess,
} from './process';

export interface StartElasticsearchOptions {
  /** Holds config/, data/, logs/ and elasticsearch.log (stdout). Reused across starts. */
  dataDir: string;
  /** HTTP port, default 19200. */
  port?: number;
  /** Transport port, default HTTP port + 100 (19300). */
  transportPort?: number;
  /** JVM heap in MB, default 512. */
  heapMb?: number;
  /** Extra / overriding elasticsearch.yml settings. */
  settings?: Record<string, string | number | boolean>;
  /** Default 180 s (first start on 2 cores takes ~30 s). */
  startTimeoutMs?: number;
}

export interface RunningElasticsearch {
  /** http://127.0.0.1:<port> */
  url: string;
  readonly pid: number;
  /** Where ES's config/data/logs are (dataDir, or a dir under /var/lib/llmops/run when the `llmops` user cannot reach dataDir). */
  homeDir: string;
  /** stdout/stderr of the ES launcher + server. */
  logFile: string;
  stop(): Promise<void>;
  /** SIGKILL (launcher and server JVM). */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';

function yaml(settings: Record<string, string | number | boolean>): string {
  return (
    '# written by @llmops/testkit infra/elasticsearch.ts\n' +
    Object.entries(settings)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
      .join('\n') +
    '\n'
  );
}

export async function startElasticsearch(opts: StartElasticsearchOptions): Promise<RunningElasticsearch> {
  const port = opts.port ?? 19200;
  const transportPort = opts.transportPort ?? port + 100;
  const heapMb = opts.heapMb ?? 512;
  const timeoutMs = opts.startTimeoutMs ?? 180_000;
  const esHome = requireElasticsearchHome();
  const javaHome = esJavaHome();
  const user = runAsWhenRoot(ES_OS_USER, 'Elasticsearch', `Create it with: ${FETCH_COMMAND} elasticsearch (as root).`);
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });

  // ES's own files live in a dir the ES user can write (dataDir itself unless it is unreachable).
  const home = user ? ensureUserDir(dataDir, user, systemRunDir()) : dataDir;
  const confDir = path.join(home, 'config');
  const dirs = { data: path.join(home, 'data'), logs: path.join(home, 'logs'), tmp: path.join(home, 'tmp') };
  for (const d of [confDir, path.join(confDir, 'jvm.options.d'), ...Object.values(dirs)]) fs.mkdirSync(d, { recursive: true });

  const modules = new Set(fs.readdirSync(path.join(esHome, 'modules')));
  const settings: Record<string, string | number | boolean> = {
    'cluster.name': 'llmops-test',
    'node.name': 'llmops-es',
    'path.data': dirs.data,
    'path.logs': dirs.logs,
    'network.host': HOST,
    'http.port': port,
    'transport.port': transportPort,
    'discovery.type': 'single-node',
    // relaxed for tests: never go read-only because the disk is fuller than production would like
    'cluster.routing.allocation.disk.threshold_enabled': false,
    'action.destructive_requires_name': false,
    ...(modules.has('x-pack-security') ? { 'xpack.security.enabled': false } : {}),
    ...(opts.settings ?? {}),
  };
  writeFileAtomic(path.join(confDir, 'elasticsearch.yml'), yaml(settings));
  // The distribution's jvm.options (module flags etc.) minus its GC log (32 × 64 MB files).
  const jvmOptions = fs
    .readFileSync(path.join(esHome, 'config', 'jvm.options'), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(\d+-?\d*:)?-Xlog:gc/.test(l))
    .join('\n');
  writeFileAtomic(path.join(confDir, 'jvm.options'), jvmOptions);
  writeFileAtomic(
    path.join(confDir, 'jvm.options.d', 'llmops.options'),
    [`-Xms${heapMb}m`, `-Xmx${heapMb}m`, '-XX:-AlwaysPreTouch', ''].join('\n'),
  );
  for (const f of ['log4j2.properties', 'roles.yml', 'role_mapping.yml', 'users', 'users_roles']) {
    const src = path.join(esHome, 'config', f);
    const dst = path.join(confDir, f);
    if (fs.existsSync(src) && !fs.existsSync(dst)) fs.copyFileSync(src, dst);
  }
  chownRecursive(confDir, user);
  for (const d of Object.values(dirs)) chownRecursive(d, user);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ES_PATH_CONF: confDir,
    ES_JAVA_HOME: javaHome,
    ES_TMPDIR: dirs.tmp,
    HOME: home,
  };
  delete env.JAVA_HOME; // ES warns that it ignores it
  delete env.JAVA_TOOL_OPTIONS;
  delete env._JAVA_OPTIONS;

  const url = `http://${HOST}:${port}`;
  const logFile = path.join(dataDir, 'elasticsearch.log');
  const controls = await supervise(
    async (): Promise<ManagedProcess> => {
      await assertPortFree('Elasticsearch', port);
      await assertPortFree('Elasticsearch (transport)', transportPort);
      return spawnManaged({
        name: 'elasticsearch',
        command: path.join(esHome, 'bin', 'elasticsearch'),
        args: [],
        cwd: home,
        env,
        user,
        logFile,
        pidDir: dataDir,
        stopGraceMs: 30_000,
      });
    },
    async (p) => {
      await waitFor(
        async () => {
          const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=2s`, { signal: AbortSignal.timeout(5000) });
          if (res.status !== 200) return false;
          const body = (await res.json()) as { status?: string };
          return body.status === 'green' || body.status === 'yellow';
        },
        { timeoutMs, what: `Elasticsearch on ${url} to reach cluster health yellow`, intervalMs: 500, process: p },
      );
    },
  );

  return {
    url,
    get pid() {
      return controls.pid;
    },
    homeDir: home,
    logFile,
    stop: () => controls.stop(),
    kill: () => controls.kill(),
    restart: () => controls.restart(),
  };
}
