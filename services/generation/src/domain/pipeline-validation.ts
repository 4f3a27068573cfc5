// Validates a pipeline at creation: names, ports, edges, that every input a node needs is fed
// (a prompt node's required template variables, as the registry declares them), unknown prompts
// and models, and cycles. Every problem is reported at once.
import { DomainError, InputError } from '@llmops/platform';
import { fixedInputs, nodeOutputs, type NewPipeline, type PipelineNode } from './pipeline-model';
import type { PromptRegistry, VersionInfo } from './ports';
import type { ModelRouter } from './router';
import { templateVariables } from './template';

export const pipelineLimits = { nodes: 50, edges: 200, nameChars: 200 };

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const nodeId = /^[a-z][a-z0-9_]*$/;
const pipelineName = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

export class PipelineValidationError extends InputError {
  constructor(readonly problems: Array<{ field: string; message: string }>) {
    super(`invalid pipeline: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems[0]!.field, {
      problems: problems.map((p) => `${p.field}: ${p.message}`),
    });
  }
}

export interface ValidatedPipeline {
  /** Node ids, each after every node it reads from. */
  order: string[];
  /** For each node, the nodes it reads from. */
  upstream: Map<string, string[]>;
}

/** "node.port" -> [node, port]; null when malformed. */
export function parseRef(ref: string): [string, string] | null {
  const dot = ref.indexOf('.');
  if (dot <= 0 || dot === ref.length - 1) return null;
  return [ref.slice(0, dot), ref.slice(dot + 1)];
}

export async function validatePipeline(
  p: NewPipeline,
  deps: { registry: PromptRegistry; router: ModelRouter; signal: AbortSignal },
): Promise<ValidatedPipeline> {
  const problems: Array<{ field: string; message: string }> = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  const { inputs, nodes, edges, outputs } = p.definition;

  if (!pipelineName.test(p.name) || p.name.length > pipelineLimits.nameChars) {
    problem('name', `must be 1 to ${pipelineLimits.nameChars} letters, digits, '.', '_', '-' or '/', starting with a letter or digit`);
  }
  inputs.forEach((name, i) => {
    if (!identifier.test(name)) problem(`inputs.${i}`, `"${name}" is not a valid input name`);
    if (inputs.indexOf(name) !== i) problem(`inputs.${i}`, `duplicate input "${name}"`);
  });
  if (nodes.length === 0 || nodes.length > pipelineLimits.nodes) problem('nodes', `give 1 to ${pipelineLimits.nodes} nodes`);
  if (edges.length > pipelineLimits.edges) problem('edges', `at most ${pipelineLimits.edges} edges`);

  const byId = new Map<string, PipelineNode>();
  nodes.forEach((node, i) => {
    if (!nodeId.test(node.id) || node.id === 'input') problem(`nodes.${i}.id`, `"${node.id}" must be lowercase letters, digits and _, and not "input"`);
    else if (byId.has(node.id)) problem(`nodes.${i}.id`, `duplicate node id "${node.id}"`);
    else byId.set(node.id, node);
    checkNode(node, `nodes.${i}`, deps.router, problem);
  });

  // Edges: sources exist and produce that output; each node input is fed once.
  const fed = new Map<string, Set<string>>();
  const upstream = new Map<string, string[]>([...byId.keys()].map((id) => [id, []]));
  edges.forEach((edge, i) => {
    const from = parseRef(edge.from);
    const to = parseRef(edge.to);
    if (!from) problem(`edges.${i}.from`, `"${edge.from}" must be "input.<name>" or "<node>.<output>"`);
    else if (from[0] === 'input') {
      if (!inputs.includes(from[1])) problem(`edges.${i}.from`, `unknown pipeline input "${from[1]}"`);
    } else if (!byId.has(from[0])) problem(`edges.${i}.from`, `unknown node "${from[0]}"`);
    else if (!nodeOutputs[byId.get(from[0])!.kind].includes(from[1])) {
      problem(`edges.${i}.from`, `${byId.get(from[0])!.kind} node "${from[0]}" has no output "${from[1]}" (it has ${nodeOutputs[byId.get(from[0])!.kind].join(', ')})`);
    }
    if (!to) problem(`edges.${i}.to`, `"${edge.to}" must be "<node>.<input>"`);
    else if (!byId.has(to[0])) problem(`edges.${i}.to`, `unknown node "${to[0]}"`);
    else if (!identifier.test(to[1])) problem(`edges.${i}.to`, `"${to[1]}" is not a valid input name`);
    else {
      const ports = fed.get(to[0]) ?? new Set<string>();
      if (ports.has(to[1])) problem(`edges.${i}.to`, `input "${edge.to}" is fed twice`);
      ports.add(to[1]);
      fed.set(to[0], ports);
      if (from && from[0] !== 'input' && byId.has(from[0]) && !upstream.get(to[0])!.includes(from[0])) upstream.get(to[0])!.push(from[0]);
    }
  });

  // Inputs each node needs, and nothing it does not take.
  const versions = await promptVersions(nodes, deps, problem);
  nodes.forEach((node, i) => {
    if (byId.get(node.id) !== node) return;
    const given = fed.get(node.id) ?? new Set<string>();
    const { required, accepted } = portsOf(node, versions.get(node.id));
    if (required === null) return; // the prompt could not be read; already reported
    for (const port of required) if (!given.has(port)) problem(`nodes.${i}`, `missing input "${node.id}.${port}": no edge feeds it`);
    if (accepted !== 'any') for (const port of given) if (!accepted.has(port)) problem(`nodes.${i}`, `"${node.id}" takes no input "${port}"`);
    if (node.kind === 'MERGE' && given.size === 0) problem(`nodes.${i}`, `MERGE node "${node.id}" needs at least one input`);
  });

  outputs.forEach((o, i) => {
    if (!identifier.test(o.name)) problem(`outputs.${i}.name`, `"${o.name}" is not a valid output name`);
    if (outputs.findIndex((x) => x.name === o.name) !== i) problem(`outputs.${i}.name`, `duplicate output "${o.name}"`);
    const ref = parseRef(o.from);
    const node = ref ? byId.get(ref[0]) : undefined;
    if (!ref || !node || !nodeOutputs[node.kind].includes(ref[1])) problem(`outputs.${i}.from`, `"${o.from}" is not an output of a node`);
  });

  const order = topologicalOrder(upstream);
  if (order.length < upstream.size) {
    const cyclic = [...upstream.keys()].filter((id) => !order.includes(id));
    problem('edges', `cycle through node(s) ${cyclic.join(', ')}`);
  }
  if (problems.length) throw new PipelineValidationError(problems);
  return { order, upstream };
}

function checkNode(node: PipelineNode, field: string, router: ModelRouter, problem: (field: string, message: string) => void): void {
  switch (node.kind) {
    case 'PROMPT':
    case 'EMBED':
      if (node.kind === 'PROMPT' && node.model !== null) {
        try {
          router.route(node.model);
        } catch (err) {
          problem(`${field}.model`, (err as Error).message);
        }
      }
      return;
    case 'RETRIEVE':
      if (!node.collection) problem(`${field}.collection`, 'is required for RETRIEVE nodes');
      if (!Number.isInteger(node.k) || node.k < 1 || node.k > 100) problem(`${field}.k`, 'must be from 1 to 100');
      return;
    case 'TRANSFORM':
      if (!node.template.trim()) problem(`${field}.template`, 'is required for TRANSFORM nodes');
      return;
    case 'MERGE':
      return;
  }
}

async function promptVersions(
  nodes: PipelineNode[],
  deps: { registry: PromptRegistry; signal: AbortSignal },
  problem: (field: string, message: string) => void,
): Promise<Map<string, VersionInfo>> {
  const found = new Map<string, VersionInfo>();
  await Promise.all(
    nodes.map(async (node, i) => {
      if (node.kind !== 'PROMPT') return;
      try {
        found.set(node.id, await deps.registry.getVersion(node.prompt.name, node.prompt.selector, deps.signal));
      } catch (err) {
        if (!(err instanceof DomainError) || err.code !== 'NOT_FOUND') throw err;
        problem(`nodes.${i}.prompt`, `unknown prompt: ${err.message}`);
      }
    }),
  );
  return found;
}

function portsOf(node: PipelineNode, version: VersionInfo | undefined): { required: string[] | null; accepted: Set<string> | 'any' } {
  switch (node.kind) {
    case 'PROMPT': {
      if (!version) return { required: null, accepted: 'any' };
      const augmented = new Set(version.augmentation.map((a) => a.outputVariable));
      const required = version.variables.filter((v) => v.required && !v.hasDefault && !augmented.has(v.name)).map((v) => v.name);
      return { required, accepted: new Set([...version.variables.map((v) => v.name), ...augmented]) };
    }
    case 'TRANSFORM': {
      const names = [...new Set(templateVariables(node.template).map((v) => v.split('.')[0]!))];
      return { required: names, accepted: new Set(names) };
    }
    case 'MERGE':
      return { required: [], accepted: 'any' };
    case 'RETRIEVE':
    case 'EMBED':
      return { required: fixedInputs[node.kind]!, accepted: new Set(fixedInputs[node.kind]) };
  }
}

/** Kahn's algorithm; nodes on a cycle are left out. */
function topologicalOrder(upstream: Map<string, string[]>): string[] {
  const remaining = new Map([...upstream].map(([id, ups]) => [id, new Set(ups)]));
  const order: string[] = [];
  for (;;) {
    const ready = [...remaining].filter(([, ups]) => ups.size === 0).map(([id]) => id);
    if (ready.length === 0) return order;
    for (const id of ready) {
      remaining.delete(id);
      order.push(id);
      for (const ups of remaining.values()) ups.delete(id);
    }
  }
}
