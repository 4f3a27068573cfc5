// Cold start of the whole stack to ready, and the resident memory of all its processes.
// Each run starts from empty data directories (fresh Kafka log, Elasticsearch data and PostgreSQL
// cluster) with models and binaries already fetched. Target: <= 60 s and <= 6 GiB on 2 cores.
//   npm run bench:cold-start -- [--runs 3]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { processTreeRssKb, startLocalPlatform, testInfraPorts, testPorts } from '@llmops/testkit';

const runs = Number(parseArgs({ options: { runs: { type: 'string', default: '3' } } }).values.runs);
const repoRoot = join(__dirname, '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface RunResult {
  seconds: number;
  rssMiB: Record<string, number>;
  totalRssMiB: number;
}

async function once(run: number): Promise<RunResult> {
  mkdirSync(join(repoRoot, '.run'), { recursive: true });
  const runDir = mkdtempSync(join(repoRoot, '.run', 'bench-cold-start-'));
  const started = process.hrtime.bigint();
  const platform = await startLocalPlatform({ repoRoot, runDir, infraPorts: testInfraPorts, ports: testPorts, env: { LOG_LEVEL: 'warn' } });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const pids: Record<string, number | undefined> = {
      kafka: platform.infra.kafka.pid,
      elasticsearch: platform.infra.elasticsearch.pid,
      postgresql: platform.infra.postgres.pid,
      prometheus: platform.infra.prometheus.pid,
      ...Object.fromEntries(platform.stack.programs.map((p) => [p.spec.name, p.process.pid])),
    };
    const rssMiB: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      if (pid !== undefined) rssMiB[name] = Math.round((processTreeRssKb(pid) ?? 0) / 1024);
    }
    const totalRssMiB = Object.values(rssMiB).reduce((a, b) => a + b, 0);
    process.stdout.write(`[cold-start] run ${run}: ready in ${seconds.toFixed(1)} s, ${totalRssMiB} MiB resident\n`);
    return { seconds, rssMiB, totalRssMiB };
  } finally {
    await platform.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const results: RunResult[] = [];
  for (let i = 1; i <= runs; i++) results.push(await once(i));
  const summary = {
    benchmark: 'cold-start',
    measuredAt: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, totalMemGiB: Math.round((await import('node:os')).totalmem() / 2 ** 30) },
    runs: results,
    medianSeconds: Number(median(results.map((r) => r.seconds)).toFixed(1)),
    medianTotalRssMiB: median(results.map((r) => r.totalRssMiB)),
    targets: { seconds: 60, totalRssMiB: 6144 },
  };
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  const file = join(repoRoot, 'bench', 'results', 'cold-start.json');
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  const last = results.at(-1)!;
  process.stdout.write(
    `[cold-start] median over ${runs} runs: ${summary.medianSeconds} s to ready (target <= 60 s), ` +
      `${summary.medianTotalRssMiB} MiB resident (target <= 6144 MiB)\n` +
      `[cold-start] resident memory by process (last run, MiB): ${Object.entries(last.rssMiB).map(([k, v]) => `${k}=${v}`).join(' ')}\n` +
      `[cold-start] wrote ${file}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`[cold-start] failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
