// GraphQL pipeline inputs to the domain's typed nodes (the kind decides which fields apply).
import { InputError } from '@llmops/platform';
import type { MemoryMode, NewPipeline, PipelineNode, PipelineNodeKind } from '../domain/pipeline-model';
import type { ParameterOverrides } from '../domain/model';
import { toSource, type GenerateInput } from './inputs';

export interface PipelineNodeInput {
  id: string;
  kind: PipelineNodeKind;
  prompt?: GenerateInput['prompt'];
  model?: string | null;
  parameters?: ParameterOverrides | null;
  memory?: MemoryMode | null;
  collection?: string | null;
  k?: number | null;
  template?: string | null;
}

export interface CreatePipelineInput {
  name: string;
  description?: string | null;
  inputs: string[];
  nodes: PipelineNodeInput[];
  edges: Array<{ from: string; to: string }>;
  outputs?: Array<{ name: string; from: string }> | null;
}

function toNode(n: PipelineNodeInput, i: number): PipelineNode {
  const field = `nodes.${i}.`;
  switch (n.kind) {
    case 'PROMPT': {
      if (!n.prompt) throw new InputError(`${field}prompt: required for PROMPT nodes`, `${field}prompt`);
      const source = toSource({ prompt: n.prompt }, field);
      if (source.kind !== 'registered') throw new InputError(`${field}prompt: required for PROMPT nodes`, `${field}prompt`);
      return {
        id: n.id,
        kind: 'PROMPT',
        prompt: { name: source.promptName, selector: source.selector },
        model: n.model ?? null,
        parameters: n.parameters ?? {},
        memory: n.memory ?? 'NONE',
      };
    }
    case 'RETRIEVE':
      return { id: n.id, kind: 'RETRIEVE', collection: n.collection ?? '', k: n.k ?? 5 };
    case 'EMBED':
      return { id: n.id, kind: 'EMBED', model: n.model ?? null };
    case 'TRANSFORM':
      return { id: n.id, kind: 'TRANSFORM', template: n.template ?? '' };
    case 'MERGE':
      return { id: n.id, kind: 'MERGE' };
  }
}

export function toNewPipeline(input: CreatePipelineInput): NewPipeline {
  return {
    name: input.name,
    description: input.description ?? null,
    definition: {
      inputs: input.inputs,
      nodes: input.nodes.map(toNode),
      edges: input.edges.map((e) => ({ from: e.from, to: e.to })),
      outputs: input.outputs?.map((o) => ({ name: o.name, from: o.from })) ?? [],
    },
  };
}

/** A domain node as the GraphQL PipelineNode. */
export function fromNode(n: PipelineNode) {
  const base = { id: n.id, kind: n.kind, prompt: null, model: null, parameters: null, memory: null, collection: null, k: null, template: null };
  switch (n.kind) {
    case 'PROMPT': {
      const s = n.prompt.selector;
      return {
        ...base,
        prompt: { name: n.prompt.name, version: s.kind === 'number' ? s.number : null, alias: s.kind === 'alias' ? s.alias : null },
        model: n.model,
        parameters: n.parameters,
        memory: n.memory,
      };
    }
    case 'RETRIEVE':
      return { ...base, collection: n.collection, k: n.k };
    case 'EMBED':
      return { ...base, model: n.model };
    case 'TRANSFORM':
      return { ...base, template: n.template };
    case 'MERGE':
      return base;
  }
}
