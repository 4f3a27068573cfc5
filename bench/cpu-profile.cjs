// Preload (NODE_OPTIONS="--require <this file>", e.g. through the feedback benchmark's
// BENCH_NODE_OPTIONS) that samples a program's CPU from start to exit and writes
// $CPUPROF_DIR/<program>-<pid>.cpuprofile (open it in Chrome DevTools). Only the programs named in
// CPUPROF_PROGRAMS (comma-separated, default "gateway,feedback") are profiled.
/* global process, require */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload */
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.CPUPROF_DIR || '/tmp';
const name = (process.argv[1] || 'node').split(path.sep).slice(-3, -2)[0] || 'node';
const wanted = (process.env.CPUPROF_PROGRAMS || 'gateway,feedback').split(',').map((s) => s.trim());
if (wanted.includes(name)) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) fs.writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
