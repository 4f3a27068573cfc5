/**
 * Shared process helper for the real infrastructure servers (Kafka, Elasticsearch, PostgreSQL,
 * Prometheus): spawn a server in its own process group with its output appended to a log file,
 * wait for readiness with errors that show the log tail, and stop it (SIGTERM → grace → SIGKILL).
 *
 * Only Node built-ins are used.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Looks up a local OS user (from /etc/passwd, falling back to `id`). Returns undefined if absent. */
export function lookupUser(name: string): OsUser | undefined {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 7) {
        return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' };
      }
    }
  } catch {
    /* fall through */
  }
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status === 0 && gid.status === 0) {
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), home: '/' };
  }
  return undefined;
}

/** The user to run a server as: `name` when we are root (the user must exist), else undefined (= ourselves). */
export function runAsWhenRoot(name: string, component: string, howToCreate: string): OsUser | undefined {
  if (!isRoot()) return undefined;
  const u = lookupUser(name);
  if (!u) {
    throw new Error(`${component}: running as root, so it must run as OS user '${name}', which does not exist. ${howToCreate}`);
  }
  return u;
}

/** Can `user` create files in `dir`? (checks every parent's search permission, not just the dir). */
export function userCanWrite(dir: string, user: OsUser): boolean {
  const r = spawnSync('test', ['-w', dir, '-a', '-x', dir], { uid: user.uid, gid: user.gid });
  return r.status === 0;
}

/**
 * A directory owned by `user` for a server's files. Normally `preferred` (created and chowned);
 * when `user` cannot reach it (e.g. it lies under /root, mode 700) a directory under
 * `${fallbackParent}/<basename>-<hash of preferred>` is used instead, and a pointer file
 * `<preferred>/DATA_LOCATION` records where the files went. Such a fallback dir is deleted by a
 * later call once `preferred` no longer exists.
 */
export function ensureUserDir(preferred: string, user: OsUser | undefined, fallbackParent: string): string {
  fs.mkdirSync(preferred, { recursive: true });
  if (!user) return preferred;
  fs.chownSync(preferred, user.uid, user.gid);
  if (userCanWrite(preferred, user)) return preferred;
  const hash = crypto.createHash('sha256').update(path.resolve(preferred)).digest('hex').slice(0, 12);
  const alt = path.join(fallbackParent, `${path.basename(preferred)}-${hash}`);
  fs.mkdirSync(fallbackParent, { recursive: true });
  removeOrphanedFallbackDirs(fallbackParent);
  fs.mkdirSync(alt, { recursive: true });
  fs.chownSync(alt, user.uid, user.gid);
  fs.writeFileSync(path.join(fallbackParent, `.${path.basename(alt)}.origin`), `${path.resolve(preferred)}\n`);
  if (!userCanWrite(alt, user)) {
    throw new Error(`OS user '${user.name}' can write neither ${preferred} nor ${alt}; make one of them reachable (chmod o+x on its parents)`);
  }
  fs.writeFileSync(path.join(preferred, 'DATA_LOCATION'), `${alt}\n`);
  return alt;
}

/**
 * Fallback dirs are kept while the caller's data dir exists (so restarts and reruns find their
 * data); once that dir is gone (a test's temp dir was removed) its fallback dir is deleted here.
 */
function removeOrphanedFallbackDirs(parent: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = /^\.(.+)\.origin$/.exec(e);
    if (!m || !m[1]) continue;
    try {
      const origin = fs.readFileSync(path.join(parent, e), 'utf8').trim();
      if (origin && !fs.existsSync(origin)) {
        fs.rmSync(path.join(parent, m[1]), { recursive: true, force: true });
        fs.rmSync(path.join(parent, e), { force: true });
      }
    } catch {
      /* another process got there first */
    }
  }
}

/** Recursively chown (used for dirs that a root-run parent created for a server user). */
export function chownRecursive(p: string, user: OsUser | undefined): void {
  if (!user) return;
  fs.chownSync(p, user.uid, user.gid);
  const st = fs.lstatSync(p);
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(p)) chownRecursive(path.join(p, e), user);
  }
}

/** Atomically replace a file's contents (write to a temp file in the same dir, then rename). */
export function writeFileAtomic(file: string, data: string, mode = 0o644): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

/** Last `lines` lines of a file ('' if it is missing). Reads at most the last 64 KiB. */
export function tailFile(file: string, lines = 40): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      const all = buf.toString('utf8').split('\n');
      if (all.length && all[all.length - 1] === '') all.pop();
      return all.slice(-lines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** Formats the tails of the given log files for an error message. */
export function describeLogs(files: readonly string[], lines = 40): string {
  const parts: string[] = [];
  for (const f of files) {
    const t = tailFile(f, lines);
    parts.push(t ? `--- last lines of ${f} ---\n${t}` : `--- ${f}: (empty or missing) ---`);
  }
  return parts.join('\n');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves true if something accepts TCP connections on host:port. */
export function portAccepts(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean): void => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Throws a clear error if host:port is already taken. */
export async function assertPortFree(component: string, port: number, host = '127.0.0.1'): Promise<void> {
  if (await portAccepts(port, host)) {
    throw new Error(
      `${component}: port ${host}:${port} is already in use (another ${component} still running, or some other server?). ` +
        `Stop it or pass a different port.`,
    );
  }
}

export interface WaitForOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** What we are waiting for, for the error message ("Kafka broker on 127.0.0.1:19092 to be ready"). */
  what: string;
  intervalMs?: number;
  /** Fail fast (with its exit status) if this process dies while we wait. */
  process?: ManagedProcess;
  /** Log files whose tails go into the error message (default: the process's log files). */
  logFiles?: readonly string[];
}

/**
 * Polls `predicate` until it returns a value other than undefined/false/null. Exceptions thrown by
 * the predicate count as "not yet" (the last one is reported on timeout).
 */
export async function waitFor<T>(
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: WaitForOptions,
): Promise<T> {
  const start = Date.now();
  const interval = opts.intervalMs ?? 250;
  let lastError: unknown;
  const logs = (): string => describeLogs(opts.logFiles ?? opts.process?.logFiles ?? []);
  for (;;) {
    if (opts.process && opts.process.exitStatus) {
      const s = opts.process.exitStatus;
      throw new Error(
        `${opts.process.name} exited (${s.signal ? `signal ${s.signal}` : `code ${s.code}`}) while waiting for ${opts.what}\n${logs()}`,
      );
    }
    try {
      const v = await predicate();
      if (v !== undefined && v !== null && v !== false) return v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    const elapsed = Date.now() - start;
    if (elapsed >= opts.timeoutMs) {
      const why = lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})` : '';
      throw new Error(`Timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${why}\n${logs()}`);
    }
    await sleep(Math.min(interval, opts.timeoutMs - elapsed));
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  user?: OsUser;
  /** Fail after this long (default 120 s). */
  timeoutMs?: number;
}

/** Runs a short command to completion; throws with its output on failure. Returns stdout. */
export function runCommand(component: string, cmd: string, args: readonly string[], opts: RunOptions = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    uid: opts.user?.uid,
    gid: opts.user?.gid,
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit code ${r.status}`;
    throw new Error(`${component}: \`${cmd} ${args.join(' ')}\` failed (${why})${out ? `\n${out}` : ''}`);
  }
  return r.stdout;
}

export interface SpawnManagedOptions {
  /** Component name used in errors and the pid file name ("kafka", "elasticsearch", ...). */
  name: string;
  command: string;
  args: readonly string[];
  /** stdout+stderr are appended here. */
  logFile: string;
  /** Other log files the server writes itself; their tails are included in errors too. */
  extraLogFiles?: readonly string[];
  /** Where `<name>.pid` is kept (a leftover server from a crashed run is killed on the next start). */
  pidDir: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this OS user (only possible when we are root). */
  user?: OsUser;
  /** Signal for a graceful stop (default SIGTERM; PostgreSQL wants SIGINT = fast shutdown). */
  stopSignal?: NodeJS.Signals;
  /** How long stop() waits before SIGKILL (default 30 s). */
  stopGraceMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFiles: readonly string[];
  /** Set once the process has exited. */
  readonly exitStatus: ExitStatus | undefined;
  readonly exited: Promise<ExitStatus>;
  /** Graceful stop: stopSignal, then SIGKILL to the whole process group after the grace period. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the whole process group (for fault tests); resolves once it is gone. */
  kill(): Promise<void>;
}

const live = new Set<ManagedProcess & { killGroupSync(): void }>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // Never leave servers behind when the test process ends without stopping them.
  process.on('exit', () => {
    for (const p of live) p.killGroupSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      for (const p of live) p.killGroupSync();
      // Re-raise with the default behaviour unless someone else handles this signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, handler);
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** pids of the group's members that are still running (zombies excluded), from /proc. */
function liveGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return groupAlive(pgid) ? [pgid] : [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A multi-threaded process killed by a signal shows its leader as a zombie while the other
      // threads are still tearing down (and still hold its sockets): dead = zombie with <= 1 thread.
      const dead = f[0] === 'X' || (f[0] === 'Z' && Number(f[17]) <= 1);
      if (Number(f[2]) === pgid && !dead) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    /* already gone */
  }
}

/** Start time of a pid (field 22 of /proc/<pid>/stat), or undefined if it is not running. */
function procStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19]; // fields after "(comm)": state is field 3 → index 0; starttime is field 22 → index 19
  } catch {
    return undefined;
  }
}

/** Kills a server left running by an earlier (crashed) run, identified by pid AND start time. */
async function killStale(pidFile: string): Promise<void> {
  let content: string;
  try {
    content = fs.readFileSync(pidFile, 'utf8').trim();
  } catch {
    return;
  }
  const [pidStr, start] = content.split(/\s+/);
  const pid = Number(pidStr);
  if (!Number.isInteger(pid) || pid <= 1) return;
  if (start && procStartTime(pid) === start) {
    signalGroup(pid, 'SIGKILL');
    const until = Date.now() + 10_000;
    while (groupAlive(pid) && Date.now() < until) await sleep(100);
  }
  fs.rmSync(pidFile, { force: true });
}

/** The pids of a process and all its descendants (Linux /proc); empty if it is not running. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const arr = children.get(ppid) ?? [];
      arr.push(Number(e));
      children.set(ppid, arr);
    } catch {
      /* gone */
    }
  }
  if (!fs.existsSync(`/proc/${pid}`)) return [];
  const tree: number[] = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop() as number;
    tree.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return tree;
}

/** RSS in KiB of a process and all its descendants (Linux /proc), undefined if not running. */
export function processTreeRssKb(pid: number): number | undefined {
  let total = 0;
  let found = false;
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]);
      found = true;
    } catch {
      /* gone */
    }
  }
  return found ? total : undefined;
}

/** A /proc stat line's name (in parentheses, may contain spaces) and its user + system CPU ticks. */
function parseStat(stat: string): { name: string; ticks: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** CPU seconds (user + system) used so far by a process and all its live descendants (Linux /proc). */
export function processTreeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      ticks += parseStat(fs.readFileSync(`/proc/${p}/stat`, 'utf8')).ticks;
    } catch {
      /* gone */
    }
  }
  return ticks / 100;
}

/**
 * CPU seconds used so far by the threads whose names (/proc/<pid>/task/<tid>/comm, at most 15
 * characters) match `name`, in a process and its live descendants: e.g. a JVM's JIT compiler
 * threads, /^C[12] CompilerThre/. Threads that have exited are not counted.
 */
export function threadCpuSeconds(pid: number, name: RegExp): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    let tids: string[] = [];
    try {
      tids = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        const thread = parseStat(fs.readFileSync(`/proc/${p}/task/${tid}/stat`, 'utf8'));
        if (name.test(thread.name)) ticks += thread.ticks;
      } catch {
        /* gone */
      }
    }
  }
  return ticks / 100;
}

/**
 * Spawns a server in its own process group (detached), stdout+stderr appended to `logFile`, with
 * its pid written to `<pidDir>/<name>.pid`. The child does not keep the Node event loop alive;
 * any server still running when this Node process exits (or gets SIGINT/SIGTERM/SIGHUP) is killed.
 */
export async function spawnManaged(opts: SpawnManagedOptions): Promise<ManagedProcess> {
  installExitHooks();
  fs.mkdirSync(opts.pidDir, { recursive: true });
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const pidFile = path.join(opts.pidDir, `${opts.name}.pid`);
  await killStale(pidFile);

  const logFd = fs.openSync(opts.logFile, 'a');
  fs.writeSync(logFd, `\n=== ${new Date().toISOString()} starting ${opts.name}: ${opts.command} ${opts.args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    child = spawn(opts.command, [...opts.args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', logFd, logFd],
      detached: true,
      uid: opts.user?.uid,
      gid: opts.user?.gid,
    });
  } finally {
    fs.closeSync(logFd);
  }
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e) => resolve(e));
  });
  if (spawnError || child.pid === undefined) {
    throw new Error(`${opts.name}: could not start ${opts.command}: ${spawnError?.message ?? 'no pid'}`);
  }
  const pid = child.pid;
  child.unref();
  const start = procStartTime(pid);
  fs.writeFileSync(pidFile, `${pid} ${start ?? ''}\n`);

  let exitStatus: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      void (async () => {
        // Anything the leader left behind in its group (ES server JVM, PG backends) goes too, and
        // we only report "exited" once they are really gone (so their ports are free again).
        signalGroup(pid, 'SIGKILL');
        const until = Date.now() + 10_000;
        while (liveGroupMembers(pid).length && Date.now() < until) await sleep(25);
        exitStatus = { code, signal };
        live.delete(mp);
        fs.rmSync(pidFile, { force: true });
        resolve(exitStatus);
      })();
    });
  });

  const waitGone = async (ms: number): Promise<boolean> => {
    if (exitStatus) return true;
    // The child is unref'd (a forgotten server must not keep Node alive); while we wait for its
    // exit, ref it, or a caller with nothing else pending would see Node exit mid-await.
    child.ref();
    // The grace timer is cleared once the process is gone: left pending it would keep Node alive
    // for the rest of the grace period (30 s after every integration run's teardown).
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    try {
      return await Promise.race([exited.then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  const mp: ManagedProcess & { killGroupSync(): void } = {
    name: opts.name,
    pid,
    logFiles: [opts.logFile, ...(opts.extraLogFiles ?? [])],
    get exitStatus() {
      return exitStatus;
    },
    exited,
    async stop(graceMs?: number): Promise<void> {
      if (exitStatus) return;
      try {
        process.kill(pid, opts.stopSignal ?? 'SIGTERM');
      } catch {
        /* already gone */
      }
      if (!(await waitGone(graceMs ?? opts.stopGraceMs ?? 30_000))) {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
    },
    async kill(): Promise<void> {
      if (exitStatus) return;
      child.ref();
      signalGroup(pid, 'SIGKILL');
      await exited;
    },
    killGroupSync(): void {
      if (!exitStatus) signalGroup(pid, 'SIGKILL');
    },
  };
  live.add(mp);
  return mp;
}

/** The directory holding a file named `exe` on PATH, or undefined. */
export function whichSync(exe: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, exe);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** A short, per-data-dir directory under the OS temp dir (for unix sockets: 107-byte path limit). */
export function shortTempDir(prefix: string, key: string): string {
  const hash = crypto.createHash('sha256').update(key).digest('hex').slice(0, 10);
  return path.join(os.tmpdir(), `${prefix}-${hash}`);
}

/** Lifecycle of one server: the current process, graceful stop, SIGKILL, restart on the same data. */
export interface ServerControls {
  /** pid of the current process (changes on restart). */
  readonly pid: number;
  /** The current process (log files, exit status). */
  readonly process: ManagedProcess;
  /** Graceful stop (SIGTERM / the component's stop signal, SIGKILL after the grace period). */
  stop(): Promise<void>;
  /** SIGKILL the whole process group (for fault tests). */
  kill(): Promise<void>;
  /** Stop (if running) and start again with the same config, data and ports; resolves when ready. */
  restart(): Promise<void>;
}

/**
 * Starts a server with `spawnFn` and waits for `ready`; if it is not ready the process is killed
 * and the error (with the log tail) is rethrown. Returns controls that restart it the same way.
 */
export async function supervise(
  spawnFn: () => Promise<ManagedProcess>,
  ready: (p: ManagedProcess) => Promise<void>,
): Promise<ServerControls> {
  const launch = async (): Promise<ManagedProcess> => {
    const p = await spawnFn();
    try {
      await ready(p);
    } catch (e) {
      await p.kill();
      throw e;
    }
    return p;
  };
  let current = await launch();
  return {
    get pid() {
      return current.pid;
    },
    get process() {
      return current;
    },
    stop: () => current.stop(),
    kill: () => current.kill(),
    async restart() {
      await current.stop();
      current = await launch();
    },
  };
}
