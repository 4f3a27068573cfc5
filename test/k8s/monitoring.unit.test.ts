// The monitoring files in charts/llmops/files/ — the one copy the chart ships and the tests check:
// alert rules pass `promtool check rules` and their unit tests (`promtool test rules`), every
// dashboard query parses as PromQL and uses metrics the platform exports, and the chart embeds
// the files unchanged.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { parse, stringify } from 'yaml';
import { chartDir, renderVariant, repoRoot, type K8sObject } from './helm';

const alertsDir = join(chartDir, 'files', 'alerts');
const dashboardsDir = join(chartDir, 'files', 'dashboards');
const ruleFiles = readdirSync(alertsDir).filter((f) => f.endsWith('.rules.yaml')).sort();
const ruleTestFiles = readdirSync(alertsDir).filter((f) => f.endsWith('.rules.test.yaml')).sort();
const dashboardFiles = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')).sort();

/** promtool from the Debian package prometheus (CI installs it), or $LLMOPS_PROMTOOL_BIN. */
function promtool(args: string[], cwd = alertsDir): string {
  const bin = process.env.LLMOPS_PROMTOOL_BIN || '/usr/bin/promtool';
  if (!existsSync(bin)) throw new Error(`${bin} not found: install the Debian package prometheus (apt-get install prometheus)`);
  const result = spawnSync(bin, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`promtool ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}
const readRules = (file: string) => parse(readFileSync(join(alertsDir, file), 'utf8')) as RuleFile;

interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Array<{ expr: string; refId: string }>;
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string }> };
}
const readDashboard = (file: string) => JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as Dashboard;

/** Grafana's variables replaced by values Prometheus accepts. */
const toPromQL = (expr: string) => expr.replace(/\$__rate_interval/g, '5m').replace(/\$\{?service\}?/g, '.*');

/** Every .ts file under `dir`, recursively. */
const sourcesIn = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourcesIn(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

/**
 * Metric names the programs export (the platform's RED metrics and every service's own, found
 * where prom-client metrics are constructed), with the histograms' series.
 */
function exportedMetrics(): Set<string> {
  const roots = [join(repoRoot, 'libs/platform/src'), join(repoRoot, 'gateway/src'), ...readdirSync(join(repoRoot, 'services')).map((s) => join(repoRoot, 'services', s, 'src'))];
  const source = roots.filter((r) => existsSync(r)).flatMap(sourcesIn).map((f) => readFileSync(f, 'utf8')).join('\n');
  const names = new Set<string>(['up', 'process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes']);
  for (const [, kind, name] of source.matchAll(/new (Histogram|Counter|Gauge)\(\{\s*name: '([a-z_:][a-z0-9_:]*)'/g)) {
    if (kind === 'Histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${name}${suffix}`);
    else names.add(name!);
  }
  return names;
}
/** The metric names an expression selects: identifiers followed by a selector or range. */
const metricsIn = (expr: string) => [...expr.matchAll(/([a-z_:][a-z0-9_:]*)\s*(?=\{|\[)/g)].map((m) => m[1]!).filter((n) => !['by', 'without', 'on', 'ignoring'].includes(n));

describe('alert rules', () => {
  test('there are rule files, each with a promtool unit test file', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(ruleTestFiles.map((f) => f.replace('.rules.test.yaml', ''))).toEqual(ruleFiles.map((f) => f.replace('.rules.yaml', '')));
  });

  test('promtool check rules', () => {
    expect(promtool(['check', 'rules', ...ruleFiles])).toMatch(/SUCCESS/);
  });

  test('promtool test rules', () => {
    expect(promtool(['test', 'rules', ...ruleTestFiles])).toMatch(/SUCCESS/);
  }, 60_000);

  test('every alert has a severity, a summary and a description, and is unit-tested', () => {
    const tested = ruleTestFiles.map((f) => readFileSync(join(alertsDir, f), 'utf8')).join('\n');
    for (const file of ruleFiles) {
      for (const rule of readRules(file).groups.flatMap((g) => g.rules).filter((r) => r.alert)) {
        expect({ alert: rule.alert, severity: ['critical', 'warning', 'info'].includes(rule.labels?.severity ?? ''), summary: !!rule.annotations?.summary, description: !!rule.annotations?.description, tested: tested.includes(`alertname: ${rule.alert}`) }).toEqual({
          alert: rule.alert,
          severity: true,
          summary: true,
          description: true,
          tested: true,
        });
      }
    }
  });

  test('rules use only metrics the programs export', () => {
    const known = exportedMetrics();
    for (const file of ruleFiles) {
      for (const rule of readRules(file).groups.flatMap((g) => g.rules)) {
        expect({ rule: rule.alert ?? rule.record, unknown: metricsIn(rule.expr).filter((m) => !known.has(m)) }).toEqual({ rule: rule.alert ?? rule.record, unknown: [] });
      }
    }
  });

  test('the target-down alert watches exactly the programs the chart deploys', () => {
    const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { services: Record<string, unknown> };
    const rule = readRules('platform.rules.yaml').groups.flatMap((g) => g.rules).find((r) => r.alert === 'LLMOpsTargetDown')!;
    const jobs = /job=~"([^"]+)"/.exec(rule.expr)![1]!.split('|');
    expect(jobs.sort()).toEqual(Object.keys(values.services).sort());
  });
});

describe('dashboards', () => {
  test('there are dashboards, with distinct uids', () => {
    const uids = dashboardFiles.map((f) => readDashboard(f).uid);
    expect(uids.length).toBeGreaterThan(0);
    expect(new Set(uids).size).toBe(uids.length);
  });

  test.each(dashboardFiles)('%s: panel ids unique, a datasource variable, every query on a known metric', (file) => {
    const dashboard = readDashboard(file);
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.templating.list.map((v) => v.name)).toContain('datasource');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const known = exportedMetrics();
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect({ panel: panel.title, queries: (panel.targets ?? []).length > 0 }).toEqual({ panel: panel.title, queries: true });
      for (const { expr } of panel.targets ?? []) {
        expect({ panel: panel.title, unknown: metricsIn(expr).filter((m) => !known.has(m)) }).toEqual({ panel: panel.title, unknown: [] });
      }
    }
  });

  test('every panel query parses as PromQL (promtool, as recording rules)', () => {
    // Record names distinct across dashboards: promtool reports duplicates instead of SUCCESS.
    const rules = dashboardFiles.flatMap((file) => {
      const dashboard = readDashboard(file);
      const uid = dashboard.uid.replaceAll('-', '_');
      return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => ({ record: `dashboard:${uid}:panel${panel.id}:${t.refId.toLowerCase()}`, expr: toPromQL(t.expr) })));
    });
    const dir = mkdtempSync(join(tmpdir(), 'llmops-dashboards-'));
    try {
      writeFileSync(join(dir, 'panels.rules.yaml'), stringify({ groups: [{ name: 'dashboard-panels', rules }] }));
      expect(promtool(['check', 'rules', 'panels.rules.yaml'], dir)).toMatch(/SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the chart ships the files unchanged', () => {
  const objects = () => renderVariant('production');

  test('one PrometheusRule per rule file, whose spec is the file', () => {
    const rules = objects().filter((o): o is K8sObject & { spec: RuleFile } => o.kind === 'PrometheusRule');
    expect(rules.map((r) => r.metadata.name).sort()).toEqual(ruleFiles.map((f) => `llmops-monitoring-${f.replace('.rules.yaml', '')}`).sort());
    for (const file of ruleFiles) {
      const rule = rules.find((r) => r.metadata.name === `llmops-monitoring-${file.replace('.rules.yaml', '')}`)!;
      expect(rule.spec).toEqual(readRules(file));
    }
  });

  test('one dashboard ConfigMap per dashboard file, for Grafana\'s sidecar, holding the file', () => {
    const maps = objects().filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.['grafana_dashboard'] === '1') as unknown as IConfigMap[];
    expect(maps.map((m) => Object.keys(m.data ?? {})).flat().sort()).toEqual(dashboardFiles);
    for (const map of maps) {
      for (const [file, content] of Object.entries(map.data ?? {})) {
        expect(content.trimEnd()).toBe(readFileSync(join(dashboardsDir, file), 'utf8').trimEnd());
      }
    }
  });

  test('the default values ship the dashboards but no Prometheus-operator objects (their CRDs may be absent)', () => {
    const kinds = renderVariant('default').map((o) => o.kind);
    expect(kinds).not.toContain('ServiceMonitor');
    expect(kinds).not.toContain('PrometheusRule');
    expect(renderVariant('default').some((o) => o.metadata.labels?.['grafana_dashboard'] === '1')).toBe(true);
  });
});
