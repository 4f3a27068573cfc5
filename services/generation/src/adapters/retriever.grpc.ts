// The retrieval service through its gRPC API (RetrieverService.Search), for augmentation steps.
import { credentials } from '@grpc/grpc-js';
import { callPeer, grpcClientOptions, UnavailableError } from '@llmops/platform';
import { retrievalV1 as pb } from '@llmops/contracts';
import { AugmentationUnavailableError } from '../domain/errors';
import type { RetrievedDocument, Retriever } from '../domain/ports';

export class GrpcRetriever implements Retriever {
  private readonly client: pb.RetrieverServiceClient;

  constructor(address: string, private readonly deadlineMs = 10_000) {
    this.client = new pb.RetrieverServiceClient(address, credentials.createInsecure(), grpcClientOptions());
  }

  async search(collection: string, query: string, k: number, signal: AbortSignal): Promise<RetrievedDocument[]> {
    try {
      const res = await callPeer(
        this.client.search.bind(this.client),
        { collection, query, k, mode: pb.SearchMode.SEARCH_MODE_UNSPECIFIED, filters: [], model: '' },
        { deadlineMs: this.deadlineMs, idempotent: true },
        signal,
        'retrieval',
      );
      return res.hits.map((h) => ({ id: h.documentId, title: h.title, text: h.text, score: h.score }));
    } catch (err) {
      if (err instanceof UnavailableError) throw new AugmentationUnavailableError('the retrieval service cannot be reached', { cause: err });
      throw err;
    }
  }

  close(): void {
    this.client.close();
  }
}
