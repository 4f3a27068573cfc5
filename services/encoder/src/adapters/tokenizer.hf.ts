// The model's tokenizer.json run by @huggingface/tokenizers (pure JS). That library ignores the
// file's truncation and padding settings; the domain truncates and the ONNX backend pads.
import { readFileSync } from 'node:fs';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { Tokenizer } from '../domain/ports';

export class HfTokenizerAdapter implements Tokenizer {
  private readonly tokenizer: HfTokenizer;

  constructor(tokenizerJsonPath: string) {
    this.tokenizer = new HfTokenizer(JSON.parse(readFileSync(tokenizerJsonPath, 'utf8')), {});
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text).ids;
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: true });
  }
}
