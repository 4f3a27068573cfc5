// Query adapters on disk: <dir>/<name>/v<version>/{weights.f32, manifest.json}. weights.f32 is
// dims x dims float32 little-endian, row-major; the manifest records how it was made and its sha256.
// A version is written to a temporary folder and renamed into place, so readers never see half of one.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdapterManifest, NewAdapterArtifact } from '../domain/adapter-model';
import type { AdapterStore } from '../domain/ports';

const weightsFile = 'weights.f32';

export class FsAdapterStore implements AdapterStore {
  constructor(private readonly dir: string) {}

  async save(artifact: NewAdapterArtifact): Promise<AdapterManifest> {
    const { weights, ...rest } = artifact;
    const bytes = toLittleEndian(weights);
    const folder = join(this.dir, artifact.name);
    await mkdir(folder, { recursive: true });
    const version = (await this.versions(artifact.name)).reduce((max, v) => Math.max(max, v), 0) + 1;
    const manifest: AdapterManifest = {
      ...rest,
      version,
      weightsFile,
      weightsSha256: createHash('sha256').update(bytes).digest('hex'),
    };
    const tmp = join(folder, `.tmp-v${version}-${process.pid}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp);
    await writeFile(join(tmp, weightsFile), bytes);
    await writeFile(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(tmp, join(folder, `v${version}`));
    return manifest;
  }

  async load(name: string, version: number | null): Promise<{ manifest: AdapterManifest; weights: Float32Array } | null> {
    const v = version ?? Math.max(0, ...(await this.versions(name)));
    const folder = join(this.dir, name, `v${v}`);
    if (v === 0 || !existsSync(join(folder, 'manifest.json'))) return null;
    const manifest = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8')) as AdapterManifest;
    const bytes = await readFile(join(folder, manifest.weightsFile));
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== manifest.weightsSha256) throw new Error(`${folder}/${manifest.weightsFile}: sha256 ${sha} does not match the manifest`);
    return { manifest, weights: fromLittleEndian(bytes) };
  }

  async list(): Promise<AdapterManifest[]> {
    if (!existsSync(this.dir)) return [];
    const names = (await readdir(this.dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    const loaded = await Promise.all(names.map((n) => this.load(n, null)));
    return loaded.flatMap((l) => (l ? [l.manifest] : []));
  }

  private async versions(name: string): Promise<number[]> {
    const folder = join(this.dir, name);
    if (!existsSync(folder)) return [];
    return (await readdir(folder))
      .map((entry) => /^v([1-9][0-9]*)$/.exec(entry))
      .flatMap((m) => (m ? [Number(m[1])] : []));
  }
}

function toLittleEndian(weights: Float32Array): Buffer {
  const buf = Buffer.allocUnsafe(weights.length * 4);
  for (let i = 0; i < weights.length; i++) buf.writeFloatLE(weights[i]!, i * 4);
  return buf;
}

function fromLittleEndian(bytes: Buffer): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}
