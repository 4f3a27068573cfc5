// k8s/: the namespace and the custom resources of the stateful dependencies. The KafkaTopics are
// generated from the contracts map (regenerated and diffed here), everything renders with
// kustomize and passes the schema checks, and the chart's defaults name what k8s/ creates.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { deadLetterTopicOf, topics } from '@llmops/contracts';
import { kafkaClusterName, renderTopicsYaml, topicsFile } from '../../scripts/k8s/generate-topics';
import { chartDir, parseManifests, release, renderKustomization, repoRoot, type K8sObject } from './helm';
import { schemaErrors } from './kube-schemas';

const k8sDir = join(repoRoot, 'k8s');
const objects = () => renderKustomization();
const one = (kind: string): K8sObject => {
  const found = objects().filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};

// The fields of the custom resources that these tests read.
interface KafkaSpec {
  kafka: { version: string; listeners: Array<{ name: string; port: number; tls: boolean }>; config: Record<string, number> };
}
interface KafkaNodePoolSpec {
  roles: string[];
  replicas: number;
}
interface KafkaTopicSpec {
  topicName: string;
}
interface ElasticsearchSpec {
  version: string;
  http: { tls: { selfSignedCertificate: { subjectAltNames: Array<{ dns: string }> } } };
}
const spec = <S>(obj: K8sObject) => obj['spec'] as S;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [relative(k8sDir, path)] : [];
  });
}

describe('Kafka topics', () => {
  test('k8s/kafka/topics.yaml is what scripts/k8s/generate-topics.ts generates from the contracts map', () => {
    // After changing libs/contracts/src/kafka/topics.ts: npx tsx scripts/k8s/generate-topics.ts
    expect(readFileSync(topicsFile, 'utf8')).toBe(renderTopicsYaml());
  });

  test('the KafkaTopics are exactly the topics of the contracts map and their dead-letter topics', () => {
    const declared = parseManifests(readFileSync(topicsFile, 'utf8'));
    const expected = Object.keys(topics).flatMap((t) => [t, deadLetterTopicOf(t)]);
    expect(declared.map((t) => spec<KafkaTopicSpec>(t).topicName).sort()).toEqual(expected.sort());
    for (const topic of declared) {
      expect(topic.metadata.name).toBe(spec<KafkaTopicSpec>(topic).topicName.replace(/\./g, '-'));
      expect(topic.metadata.labels?.['strimzi.io/cluster']).toBe(kafkaClusterName);
    }
  });
});

describe('kustomization', () => {
  test('lists every manifest in k8s/', () => {
    const kustomization = parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(yamlFiles(k8sDir).filter((f) => f !== 'kustomization.yaml').sort());
  });

  test('renders, and every object passes the schema checks', () => {
    expect(objects().map((o) => o.kind).sort()).toEqual(
      ['Cluster', 'Elasticsearch', 'Kafka', 'KafkaNodePool', 'KafkaNodePool', 'Namespace', ...Object.keys(topics).flatMap(() => ['KafkaTopic', 'KafkaTopic'])].sort(),
    );
    expect(objects().flatMap(schemaErrors)).toEqual([]);
  });

  test('everything lives in the namespace the chart is installed in', () => {
    expect(one('Namespace').metadata.name).toBe(release.namespace);
    for (const obj of objects().filter((o) => o.kind !== 'Namespace')) expect({ obj: obj.metadata.name, ns: obj.metadata.namespace }).toEqual({ obj: obj.metadata.name, ns: release.namespace });
  });
});

describe('the stateful dependencies', () => {
  test('Kafka runs in KRaft mode with separate controller and broker node pools', () => {
    const kafka = one('Kafka');
    expect(kafka.metadata.name).toBe(kafkaClusterName);
    const pools = objects().filter((o) => o.kind === 'KafkaNodePool');
    expect(pools.flatMap((p) => spec<KafkaNodePoolSpec>(p).roles).sort()).toEqual(['broker', 'controller']);
    for (const pool of pools) expect(pool.metadata.labels?.['strimzi.io/cluster']).toBe(kafkaClusterName);
    const brokers = pools.find((p) => spec<KafkaNodePoolSpec>(p).roles.includes('broker'))!;
    // One broker may be down while every write still reaches min.insync.replicas.
    expect(spec<KafkaNodePoolSpec>(brokers).replicas).toBeGreaterThanOrEqual(spec<KafkaSpec>(kafka).kafka.config['min.insync.replicas']! + 1);
  });

  test('Kafka and Elasticsearch run the versions the local stack and the integration tests run', () => {
    const fetchScript = readFileSync(join(repoRoot, 'scripts/infra/fetch.sh'), 'utf8');
    const defaultOf = (name: string) => new RegExp(`${name}="\\$\\{LLMOPS_${name}:-([^}]+)\\}"`).exec(fetchScript)?.[1];
    expect(spec<KafkaSpec>(one('Kafka')).kafka.version).toBe(defaultOf('KAFKA_VERSION'));
    expect(spec<ElasticsearchSpec>(one('Elasticsearch')).version).toBe(defaultOf('ES_VERSION'));
  });

  test("the chart's defaults name the services and secrets that the operators create from k8s/", () => {
    const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as {
      postgresql: { urlSecret: { name: string; key: string } };
      kafka: { brokers: string[] };
      elasticsearch: { url: string; credentialsSecret: { name: string; username: string }; caSecret: { name: string; key: string } };
    };
    const plain = spec<KafkaSpec>(one('Kafka')).kafka.listeners.find((l) => !l.tls)!;
    // Strimzi: <cluster>-kafka-bootstrap.
    expect(values.kafka.brokers).toEqual([`${one('Kafka').metadata.name}-kafka-bootstrap:${plain.port}`]);
    // ECK: <name>-es-http (TLS), <name>-es-elastic-user, <name>-es-http-certs-public.
    const es = one('Elasticsearch');
    const esUrl = new URL(values.elasticsearch.url);
    expect(`${esUrl.protocol}//${esUrl.hostname}:${esUrl.port}`).toBe(`https://${es.metadata.name}-es-http:9200`);
    expect(spec<ElasticsearchSpec>(es).http.tls.selfSignedCertificate.subjectAltNames).toContainEqual({ dns: esUrl.hostname });
    expect(values.elasticsearch.credentialsSecret).toEqual(expect.objectContaining({ name: `${es.metadata.name}-es-elastic-user`, username: 'elastic' }));
    expect(values.elasticsearch.caSecret).toEqual({ name: `${es.metadata.name}-es-http-certs-public`, key: 'ca.crt' });
    // CloudNativePG: <cluster>-app, key uri.
    expect(values.postgresql.urlSecret).toEqual({ name: `${one('Cluster').metadata.name}-app`, key: 'uri' });
  });

  test("PostgreSQL's max_connections holds every pool of the chart's services at their autoscaling maximum", () => {
    interface Service { uses?: string[]; enabled?: boolean; autoscaling?: { enabled?: boolean; maxReplicas?: number }; replicas?: number }
    const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { serviceDefaults: Required<Service>; services: Record<string, Service> };
    // Each pod's pool: createPgPool's default size.
    const poolSource = readFileSync(join(repoRoot, 'libs/platform/src/postgres/pool.ts'), 'utf8');
    const poolSize = Number(/export function createPgPool\([^)]*max = (\d+)\)/.exec(poolSource)?.[1]);
    expect(poolSize).toBeGreaterThan(0);
    let connections = 0;
    for (const service of Object.values(values.services)) {
      if (!(service.uses ?? []).includes('postgresql') || service.enabled === false) continue;
      const autoscaling = { ...values.serviceDefaults.autoscaling, ...service.autoscaling };
      const replicas = autoscaling.enabled ? autoscaling.maxReplicas! : (service.replicas ?? values.serviceDefaults.replicas);
      // A rolling update adds maxSurge (25%, rounded up) pods before it removes old ones.
      connections += (replicas + Math.ceil(replicas / 4)) * poolSize;
    }
    expect(connections).toBeGreaterThan(0);
    const parameters = (spec<{ postgresql: { parameters: Record<string, string> } }>(one('Cluster'))).postgresql.parameters;
    // Room for superuser_reserved_connections, the operator and an operator's psql.
    expect(Number(parameters['max_connections'])).toBeGreaterThanOrEqual(connections + 20);
  });
});
