// The gRPC wire format of embeddings (llmops.encoder.v1.EmbedResponse.vectors): float32,
// little-endian, row after row. Shared by the encoder and every client of it.

export function packFloat32LE(vectors: Float32Array[], dims: number): Buffer {
  const buf = Buffer.allocUnsafe(vectors.length * dims * 4);
  vectors.forEach((v, i) => {
    for (let d = 0; d < dims; d++) buf.writeFloatLE(v[d]!, (i * dims + d) * 4);
  });
  return buf;
}

export function unpackFloat32LE(buf: Uint8Array, dims: number): Float32Array[] {
  if (dims <= 0 || buf.byteLength % (dims * 4) !== 0) {
    throw new Error(`packed vectors: ${buf.byteLength} bytes is not a whole number of ${dims}-dimensional float32 vectors`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const count = buf.byteLength / (dims * 4);
  return Array.from({ length: count }, (_, i) => {
    const v = new Float32Array(dims);
    for (let d = 0; d < dims; d++) v[d] = view.getFloat32((i * dims + d) * 4, true);
    return v;
  });
}
