// Pipelines: a DAG of nodes (a registered-prompt call, retrieval, embedding, a text transform, a
// merge) whose edges map one node's outputs (or the pipeline's inputs) to another node's inputs.
import type { GenerationError, ParameterOverrides, VersionSelector } from './model';

export type PipelineNodeKind = 'PROMPT' | 'RETRIEVE' | 'EMBED' | 'TRANSFORM' | 'MERGE';

/** How a prompt node uses the run's session: not at all, its history before the prompt, or that plus appending its exchange. */
export type MemoryMode = 'NONE' | 'READ' | 'READ_APPEND';

export type PipelineNode =
  | {
      id: string;
      kind: 'PROMPT';
      prompt: { name: string; selector: VersionSelector };
      model: string | null;
      parameters: ParameterOverrides;
      memory: MemoryMode;
    }
  | { id: string; kind: 'RETRIEVE'; collection: string; k: number }
  | { id: string; kind: 'EMBED'; model: string | null }
  | { id: string; kind: 'TRANSFORM'; template: string }
  | { id: string; kind: 'MERGE' };

/** `from` is "input.<name>" (a pipeline input) or "<node>.<output>"; `to` is "<node>.<input>". */
export interface PipelineEdge {
  from: string;
  to: string;
}

export interface PipelineOutput {
  name: string;
  from: string;
}

export interface PipelineDefinition {
  inputs: string[];
  nodes: PipelineNode[];
  edges: PipelineEdge[];
  /** What a run returns; empty: the main output of every node nothing else reads. */
  outputs: PipelineOutput[];
}

export interface NewPipeline {
  name: string;
  description: string | null;
  definition: PipelineDefinition;
}

export interface Pipeline extends NewPipeline {
  id: string;
  createdAt: Date;
}

export type NodeRunStatus = 'SUCCEEDED' | 'FAILED' | 'SKIPPED';
export type PipelineRunStatus = 'SUCCEEDED' | 'FAILED';

export interface NodeRun {
  nodeId: string;
  kind: PipelineNodeKind;
  status: NodeRunStatus;
  input: Record<string, unknown> | null;
  output: Record<string, unknown> | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  latencyMs: number | null;
  error: GenerationError | null;
  /** The recorded generation of a prompt node. */
  generationId: string | null;
}

export interface PipelineRun {
  id: string;
  pipelineId: string;
  pipelineName: string;
  status: PipelineRunStatus;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | null;
  nodes: NodeRun[];
  sessionId: string | null;
  traceId: string | null;
  error: GenerationError | null;
  latencyMs: number;
  startedAt: Date;
  finishedAt: Date;
}

/** Output ports each kind produces; the first is its main output. */
export const nodeOutputs: Record<PipelineNodeKind, string[]> = {
  PROMPT: ['text', 'generationId'],
  RETRIEVE: ['documents', 'documentIds'],
  EMBED: ['vectors'],
  TRANSFORM: ['text'],
  MERGE: ['value'],
};

/** Input ports a kind requires (PROMPT: its template variables; TRANSFORM: its template's; MERGE: any). */
export const fixedInputs: Partial<Record<PipelineNodeKind, string[]>> = {
  RETRIEVE: ['query'],
  EMBED: ['texts'],
};
