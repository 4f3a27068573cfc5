// A TCP relay between a KafkaJS client and a single broker that can let produce requests reach the
// broker and drop their responses: the broker writes the records, the client sees its connection
// close, as when a broker dies between writing a request and answering it.
import * as net from 'node:net';
import type { ISocketFactory } from 'kafkajs';

const produceApiKey = 0;

export class KafkaResponseDropper {
  /** While true, the connection that a produce response would travel back on is closed instead. */
  dropProduceResponses = false;
  droppedResponses = 0;
  private readonly server: net.Server;

  constructor(private readonly broker: { host: string; port: number }) {
    this.server = net.createServer((client) => this.relay(client));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
  }

  /** For `new Kafka({ socketFactory })`: every connection goes through the relay (one broker only). */
  readonly socketFactory: ISocketFactory = ({ onConnect }) => net.connect({ host: '127.0.0.1', port: (this.server.address() as net.AddressInfo).port }, onConnect);

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(this.broker);
    const apiKeyOf = new Map<number, number>();
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    // Requests: [size][api key int16][api version int16][correlation id int32]...
    frames(client, (frame) => {
      apiKeyOf.set(frame.readInt32BE(8), frame.readInt16BE(4));
      upstream.write(frame);
    });
    // Responses: [size][correlation id int32]...
    frames(upstream, (frame) => {
      const correlationId = frame.readInt32BE(4);
      if (this.dropProduceResponses && apiKeyOf.get(correlationId) === produceApiKey) {
        this.droppedResponses++;
        end();
        return;
      }
      client.write(frame);
    });
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  }
}

/** Calls `onFrame` with each whole size-prefixed Kafka frame read from `socket`. */
function frames(socket: net.Socket, onFrame: (frame: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (!socket.destroyed && buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const size = buffered.readInt32BE(0);
      onFrame(buffered.subarray(0, 4 + size));
      buffered = buffered.subarray(4 + size);
    }
  });
}
