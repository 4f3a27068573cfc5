import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { esJavaHome, jdkMajor } from '../src/infra/paths';

const saved = { ES_JAVA_HOME: process.env.ES_JAVA_HOME, JAVA_HOME: process.env.JAVA_HOME, LLMOPS_JVM_DIR: process.env.LLMOPS_JVM_DIR };
let jvmDir: string;

/** A folder that looks like a JDK: bin/java and a release file. */
function fakeJdk(name: string, version: string | null): string {
  const home = path.join(jvmDir, name);
  fs.mkdirSync(path.join(home, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(home, 'bin', 'java'), '#!/bin/sh\n', { mode: 0o755 });
  if (version) fs.writeFileSync(path.join(home, 'release'), `IMPLEMENTOR="Test"\nJAVA_VERSION="${version}"\n`);
  return home;
}

beforeEach(() => {
  jvmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jvm-'));
  process.env.LLMOPS_JVM_DIR = jvmDir;
  delete process.env.ES_JAVA_HOME;
  delete process.env.JAVA_HOME;
});

afterEach(() => {
  fs.rmSync(jvmDir, { recursive: true, force: true });
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

test('reads the feature release from a JDK release file, old 1.x numbering included', () => {
  expect(jdkMajor(fakeJdk('a', '25.0.3'))).toBe(25);
  expect(jdkMajor(fakeJdk('b', '1.8.0_402'))).toBe(8);
  expect(jdkMajor(fakeJdk('c', null))).toBe(0);
});

test('picks the newest JDK of Java 21 or later over an older JAVA_HOME', () => {
  process.env.JAVA_HOME = fakeJdk('java-17', '17.0.15');
  fakeJdk('jdk-21', '21.0.2');
  const newest = fakeJdk('temurin-25', '25.0.3');
  fakeJdk('broken', null);
  expect(esJavaHome()).toBe(newest);
});

test('ES_JAVA_HOME wins even when it is older', () => {
  fakeJdk('temurin-25', '25.0.3');
  process.env.ES_JAVA_HOME = fakeJdk('java-17', '17.0.15');
  expect(esJavaHome()).toBe(process.env.ES_JAVA_HOME);
});

test('without a JDK of Java 21 or later, JAVA_HOME is used', () => {
  fakeJdk('java-11', '11.0.20');
  process.env.JAVA_HOME = fakeJdk('java-17', '17.0.15');
  expect(esJavaHome()).toBe(process.env.JAVA_HOME);
});
