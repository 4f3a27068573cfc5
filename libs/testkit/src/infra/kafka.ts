/**
 * Single-node Kafka 4 (KRaft, broker+controller in one JVM) from the jars that
 * scripts/infra/fetch.sh resolved from Maven.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { javaBin, requireKafkaLibs } from './paths';
import { assertPortFree, runCommand, spawnManaged, supervise, waitFor, writeFileAtomic, type ManagedProcess } from './process';

export interface StartKafkaOptions {
  /** Holds server.properties, log4j2.properties, the logs and the log dirs (data/). Reused across starts. */
  dataDir: string;
  /** Client (PLAINTEXT) port, default 19092. */
  port?: number;
  /** KRaft controller port, default 19093. */
  controllerPort?: number;
  /** JVM heap in MB, default 512. */
  heapMb?: number;
  /** Extra / overriding server.properties entries. */
  extraProperties?: Record<string, string | number | boolean>;
  /** Extra JVM options. */
  jvmOpts?: string[];
  /**
   * After the broker is up, make it create and load its coordinators (__consumer_offsets,
   * __transaction_state, producer-id block) so that the first client does not see
   * "coordinator is loading" errors. Default true.
   */
  warmUp?: boolean;
  /** Default 120 s. */
  startTimeoutMs?: number;
}

export interface RunningKafka {
  /** ["127.0.0.1:<port>"] */
  brokers: string[];
  readonly pid: number;
  dataDir: string;
  /** Kafka's own log (log4j2); stdout/stderr go to kafka.stdout.log beside it. */
  logFile: string;
  stop(): Promise<void>;
  /** SIGKILL (for fault tests). */
  kill(): Promise<void>;
  /** Stop (if running) and start again on the same data and ports. */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';

function serverProperties(o: { dataDir: string; port: number; controllerPort: number; extra: Record<string, string | number | boolean> }): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `${HOST}:${o.controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${o.port},CONTROLLER://${HOST}:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${o.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': path.join(o.dataDir, 'data'),
    'num.partitions': 1,
    'default.replication.factor': 1,
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // After a SIGKILL the restarted broker cannot register until the old registration's session
    // expires (DUPLICATE_BROKER_REGISTRATION): keep that short (default 9 s / 2 s heartbeat).
    'broker.session.timeout.ms': 4000,
    'broker.heartbeat.interval.ms': 500,
    // No no-op records in the metadata log twice a second (they only feed KRaft's quorum-health
    // metrics, of no use to one node): an idle broker used 0.14 cores without them, 0.18 with.
    'metadata.max.idle.interval.ms': 0,
    ...o.extra,
  };
  return (
    '# written by @llmops/testkit infra/kafka.ts\n' +
    Object.entries(props)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join('\n') +
    '\n'
  );
}

function log4j2Properties(logFile: string): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = FILE',
    `appender.file.fileName = ${logFile}`,
    'appender.file.append = true',
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = FILE',
    // quieter: request logging and the state-change / controller chatter
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.statechange.name = state.change.logger',
    'logger.statechange.level = WARN',
    '',
  ].join('\n');
}

/** Kafka cluster ids are 16 random bytes, base64url without padding (as `StorageTool random-uuid`). */
function randomClusterId(): string {
  return crypto.randomBytes(16).toString('base64url');
}

// ---------------------------------------------------------------- minimal wire protocol probe

/** Sends one request (header v1, non-flexible) and returns the response body after the correlation id. */
function kafkaRequest(port: number, apiKey: number, apiVersion: number, body: Buffer, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from('llmops-testkit');
    const header = Buffer.alloc(2 + 2 + 4 + 2);
    header.writeInt16BE(apiKey, 0);
    header.writeInt16BE(apiVersion, 2);
    header.writeInt32BE(1, 4);
    header.writeInt16BE(clientId.length, 8);
    const payload = Buffer.concat([header, clientId, body]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length, 0);

    const sock = net.connect({ host: HOST, port });
    let buf = Buffer.alloc(0);
    const finish = (err: Error | undefined, res?: Buffer): void => {
      sock.removeAllListeners();
      sock.destroy();
      if (err) reject(err);
      else resolve(res as Buffer);
    };
    sock.setTimeout(timeoutMs, () => finish(new Error(`no answer to api ${apiKey} within ${timeoutMs} ms`)));
    sock.once('error', (e) => finish(e));
    sock.once('connect', () => sock.write(Buffer.concat([size, payload])));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) finish(undefined, buf.subarray(8, 4 + buf.readInt32BE(0)));
    });
    sock.once('close', () => finish(new Error('connection closed before a full response')));
  });
}

function kafkaString(s: string): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length, 0);
  return Buffer.concat([len, b]);
}

/** FindCoordinator v2 (key_type 0 = group, 1 = transaction); returns the error code (0 = ready). */
async function findCoordinator(port: number, key: string, keyType: 0 | 1): Promise<number> {
  const res = await kafkaRequest(port, 10, 2, Buffer.concat([kafkaString(key), Buffer.from([keyType])]));
  return res.readInt16BE(4); // after throttle_time_ms
}

/** InitProducerId v1 for an idempotent (non-transactional) producer; returns the error code. */
async function initProducerId(port: number): Promise<number> {
  const body = Buffer.alloc(2 + 4);
  body.writeInt16BE(-1, 0); // transactional_id = null
  body.writeInt32BE(60_000, 2);
  const res = await kafkaRequest(port, 22, 1, body);
  return res.readInt16BE(4);
}

// ---------------------------------------------------------------- start

export async function startKafka(opts: StartKafkaOptions): Promise<RunningKafka> {
  const port = opts.port ?? 19092;
  const controllerPort = opts.controllerPort ?? 19093;
  const heapMb = opts.heapMb ?? 512;
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const libs = requireKafkaLibs();
  const java = javaBin();
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(path.join(dataDir, 'data'), { recursive: true });

  const propsFile = path.join(dataDir, 'server.properties');
  const log4jFile = path.join(dataDir, 'log4j2.properties');
  const logFile = path.join(dataDir, 'kafka.log');
  const stdoutLog = path.join(dataDir, 'kafka.stdout.log');
  writeFileAtomic(propsFile, serverProperties({ dataDir, port, controllerPort, extra: opts.extraProperties ?? {} }));
  writeFileAtomic(log4jFile, log4j2Properties(logFile));

  const classpath = `${libs}${path.sep}*`;
  const baseJvm = [`-Dlog4j2.configurationFile=${log4jFile}`, '-Djava.awt.headless=true'];

  // Format the storage once (KRaft, standalone controller quorum of this one node).
  if (!fs.existsSync(path.join(dataDir, 'data', 'meta.properties'))) {
    runCommand('Kafka', java, [
      '-Xmx256m',
      ...baseJvm,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '--config',
      propsFile,
      // One argument: an id may start with '-', which would read as an option.
      `--cluster-id=${randomClusterId()}`,
      '--standalone',
      '--ignore-formatted',
    ]);
  }

  const what = `Kafka broker on ${HOST}:${port}`;
  const controls = await supervise(
    async (): Promise<ManagedProcess> => {
      await assertPortFree('Kafka', port);
      await assertPortFree('Kafka (controller)', controllerPort);
      return spawnManaged({
        name: 'kafka',
        command: java,
        args: [
          `-Xms${heapMb}m`,
          `-Xmx${heapMb}m`,
          '-XX:+UseSerialGC',
          '-XX:+ExitOnOutOfMemoryError',
          ...baseJvm,
          ...(opts.jvmOpts ?? []),
          '-cp',
          classpath,
          'kafka.Kafka',
          propsFile,
        ],
        cwd: dataDir,
        logFile: stdoutLog,
        extraLogFiles: [logFile],
        pidDir: dataDir,
        stopGraceMs: 30_000,
      });
    },
    async (p) => {
      const deadline = Date.now() + timeoutMs;
      const left = (): number => Math.max(1000, deadline - Date.now());
      // Any well-formed answer means the listener is up and the broker serves requests.
      await waitFor(() => findCoordinator(port, 'llmops-testkit-ready', 0).then(() => true), {
        timeoutMs: left(),
        what: `${what} to answer requests`,
        process: p,
      });
      if (opts.warmUp === false) return;
      await waitFor(() => findCoordinator(port, 'llmops-testkit-ready', 0).then((c) => c === 0), {
        timeoutMs: left(),
        what: `${what}: group coordinator (__consumer_offsets) to load`,
        process: p,
      });
      await waitFor(() => findCoordinator(port, 'llmops-testkit-ready', 1).then((c) => c === 0), {
        timeoutMs: left(),
        what: `${what}: transaction coordinator (__transaction_state) to load`,
        process: p,
      });
      await waitFor(() => initProducerId(port).then((c) => c === 0), {
        timeoutMs: left(),
        what: `${what}: idempotent producer ids (InitProducerId)`,
        process: p,
      });
    },
  );

  return {
    brokers: [`${HOST}:${port}`],
    get pid() {
      return controls.pid;
    },
    dataDir,
    logFile,
    stop: () => controls.stop(),
    kill: () => controls.kill(),
    restart: () => controls.restart(),
  };
}
