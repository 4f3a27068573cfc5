/**
 * Where scripts/infra/fetch.sh puts the infrastructure, and how to find it.
 * Keep the defaults in sync with scripts/infra/fetch.sh.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isRoot, whichSync } from './process';

/** The command that downloads / installs everything this module looks for. */
export const FETCH_COMMAND = 'bash scripts/infra/fetch.sh';

export const DEFAULT_KAFKA_VERSION = '4.4.0';
export const DEFAULT_ELASTICSEARCH_VERSION = '8.19.21';
/** OS user that Elasticsearch runs as when we are root (created by fetch.sh). */
export const ES_OS_USER = 'llmops';
/** OS user that PostgreSQL runs as when we are root (created by the Debian package). */
export const PG_OS_USER = 'postgres';

/** A piece of infrastructure that has not been fetched yet. */
export class MissingInfraError extends Error {
  constructor(
    readonly component: string,
    readonly missingPath: string,
    readonly fetchCommand: string = FETCH_COMMAND,
  ) {
    super(`${component} is not installed: ${missingPath} does not exist. Fetch it with: ${fetchCommand}`);
    this.name = 'MissingInfraError';
  }
}

/** Download cache: $LLMOPS_CACHE_DIR or ~/.cache/llmops. */
export function cacheDir(): string {
  return process.env.LLMOPS_CACHE_DIR || path.join(os.homedir(), '.cache', 'llmops');
}

/** System-wide dir used when root (ES install, data dirs for servers run as other users): $LLMOPS_SYSTEM_DIR or /var/lib/llmops. */
export function systemDir(): string {
  return process.env.LLMOPS_SYSTEM_DIR || '/var/lib/llmops';
}

/** Parent for data dirs of servers that run as another OS user and cannot reach the caller's dir. */
export function systemRunDir(): string {
  return path.join(systemDir(), 'run');
}

export function kafkaVersion(): string {
  return process.env.LLMOPS_KAFKA_VERSION || DEFAULT_KAFKA_VERSION;
}

export function elasticsearchVersion(): string {
  return process.env.LLMOPS_ES_VERSION || DEFAULT_ELASTICSEARCH_VERSION;
}

/** `<cache>/kafka-<ver>/libs` (the dir is not checked; see requireKafkaLibs). */
export function kafkaLibsDir(): string {
  return path.join(cacheDir(), `kafka-${kafkaVersion()}`, 'libs');
}

/** ES install dir: $LLMOPS_ES_HOME, else `<systemDir>/elasticsearch-<ver>` when root, else `<cache>/elasticsearch-<ver>`. */
export function elasticsearchHome(): string {
  if (process.env.LLMOPS_ES_HOME) return process.env.LLMOPS_ES_HOME;
  const name = `elasticsearch-${elasticsearchVersion()}`;
  return isRoot() ? path.join(systemDir(), name) : path.join(cacheDir(), name);
}

function requirePath(component: string, p: string): string {
  if (!fs.existsSync(p)) throw new MissingInfraError(component, p);
  return p;
}

/** The Kafka libs dir, or MissingInfraError. */
export function requireKafkaLibs(): string {
  const dir = kafkaLibsDir();
  requirePath(`Kafka ${kafkaVersion()}`, path.join(dir, '..', '.complete'));
  return dir;
}

/** The ES install dir, or MissingInfraError. */
export function requireElasticsearchHome(): string {
  const home = elasticsearchHome();
  requirePath(`Elasticsearch ${elasticsearchVersion()}`, path.join(home, 'bin', 'elasticsearch'));
  return home;
}

/** Newest `/usr/lib/postgresql/<major>/bin` (or $LLMOPS_PG_BIN), or MissingInfraError. */
export function requirePostgresBinDir(): string {
  const override = process.env.LLMOPS_PG_BIN;
  if (override) {
    requirePath('PostgreSQL', path.join(override, 'initdb'));
    return override;
  }
  const root = '/usr/lib/postgresql';
  let majors: string[] = [];
  try {
    majors = fs
      .readdirSync(root)
      .filter((d) => /^\d+$/.test(d) && fs.existsSync(path.join(root, d, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    /* missing */
  }
  if (!majors.length) throw new MissingInfraError('PostgreSQL (Debian package postgresql)', `${root}/*/bin/initdb`);
  return path.join(root, majors[0] as string, 'bin');
}

/** /usr/bin/prometheus (or $LLMOPS_PROMETHEUS_BIN), or MissingInfraError. */
export function requirePrometheusBin(): string {
  return requirePath('Prometheus (Debian package prometheus)', process.env.LLMOPS_PROMETHEUS_BIN || '/usr/bin/prometheus');
}

/** `java` to run Kafka with: $JAVA_HOME/bin/java, else `java` on PATH. */
export function javaBin(): string {
  const home = process.env.JAVA_HOME;
  if (home && fs.existsSync(path.join(home, 'bin', 'java'))) return path.join(home, 'bin', 'java');
  const onPath = whichSync('java');
  if (!onPath) throw new Error(`java not found (set JAVA_HOME or put java 17+ on PATH; ${FETCH_COMMAND} installs it as root)`);
  return onPath;
}

/** Lucene's SIMD vector code (the JDK's vector API) needs Java 21 or newer; on 17 HNSW work is scalar. */
export const ES_VECTOR_MIN_JAVA = 21;

/**
 * JDK home for ES (its scripts need ES_JAVA_HOME): $ES_JAVA_HOME when set; else the newest JDK of
 * Java 21 or later among $JAVA_HOME and the JDKs under $LLMOPS_JVM_DIR (default /usr/lib/jvm), so
 * that Lucene builds and searches HNSW graphs with SIMD (Elasticsearch 8.19 ships with Java 25
 * itself); else $JAVA_HOME; else the JDK of `java` on PATH.
 */
export function esJavaHome(): string {
  const explicit = process.env.ES_JAVA_HOME;
  if (explicit && isJdk(explicit)) return explicit;
  const fallback = process.env.JAVA_HOME && isJdk(process.env.JAVA_HOME) ? process.env.JAVA_HOME : undefined;
  const jvmDir = process.env.LLMOPS_JVM_DIR || '/usr/lib/jvm';
  const installed = fs.existsSync(jvmDir) ? fs.readdirSync(jvmDir).map((d) => path.join(jvmDir, d)) : [];
  const newest = [fallback, ...installed]
    .filter((home): home is string => !!home && isJdk(home))
    .map((home) => ({ home, major: jdkMajor(home) }))
    .filter((c) => c.major >= ES_VECTOR_MIN_JAVA)
    .sort((a, b) => b.major - a.major)[0];
  return newest?.home ?? fallback ?? path.dirname(path.dirname(fs.realpathSync(javaBin())));
}

/** The feature release of the JDK at `home` (its `release` file's JAVA_VERSION), or 0 when unknown. */
export function jdkMajor(home: string): number {
  try {
    const m = /^JAVA_VERSION="(?:1\.)?(\d+)/m.exec(fs.readFileSync(path.join(home, 'release'), 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function isJdk(home: string): boolean {
  return fs.existsSync(path.join(home, 'bin', 'java'));
}
