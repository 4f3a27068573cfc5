// Typed template variables: specs are validated when a version is created, values when it is rendered.
import { InputError } from '@llmops/platform';
import type { VariableSpec, VariableType } from './model';
import type { VariableUse } from './template';

export interface VariableProblem {
  variable: string;
  problem: 'MISSING' | 'UNKNOWN' | 'WRONG_TYPE';
  message: string;
}

function typeProblem(spec: VariableSpec, value: unknown): string | null {
  switch (spec.type) {
    case 'STRING':
      return typeof value === 'string' ? null : `expected a string, got ${describe(value)}`;
    case 'NUMBER':
      return typeof value === 'number' && Number.isFinite(value) ? null : `expected a number, got ${describe(value)}`;
    case 'BOOLEAN':
      return typeof value === 'boolean' ? null : `expected a boolean, got ${describe(value)}`;
    case 'ENUM':
      return typeof value === 'string' && (spec.enumValues ?? []).includes(value)
        ? null
        : `expected one of ${JSON.stringify(spec.enumValues ?? [])}, got ${describe(value)}`;
    case 'JSON':
      return value === undefined ? 'expected a JSON value' : null;
    default: {
      const never: never = spec.type;
      return `unknown type ${String(never)}`;
    }
  }
}

const describe = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? `"${value.slice(0, 40)}"` : typeof value;

/**
 * Checks caller-supplied values against the specs and applies defaults. Every offending variable
 * is listed in one BAD_USER_INPUT error (field `variables`).
 */
export function resolveValues(specs: VariableSpec[], given: Record<string, unknown>): Record<string, unknown> {
  const problems: VariableProblem[] = [];
  const values: Record<string, unknown> = {};
  const known = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) problems.push({ variable: name, problem: 'UNKNOWN', message: `${name}: not a variable of this prompt version` });
  }
  for (const spec of specs) {
    const value = Object.prototype.hasOwnProperty.call(given, spec.name) ? given[spec.name] : spec.default;
    if (value === undefined || value === null) {
      if (spec.required) problems.push({ variable: spec.name, problem: 'MISSING', message: `${spec.name}: required ${spec.type.toLowerCase()} is missing` });
      continue;
    }
    const problem = typeProblem(spec, value);
    if (problem) problems.push({ variable: spec.name, problem: 'WRONG_TYPE', message: `${spec.name}: ${problem}` });
    else values[spec.name] = value;
  }
  if (problems.length) {
    throw new InputError(`variables: ${problems.map((p) => p.message).join('; ')}`, 'variables', { problems });
  }
  return values;
}

const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const types: VariableType[] = ['STRING', 'NUMBER', 'BOOLEAN', 'ENUM', 'JSON'];

/**
 * Validates variable specs against what the templates use; returns them, or infers them when absent
 * (each use's type and whether it is required: see `VariableUse`). Declared specs always win.
 */
export function resolveSpecs(declared: VariableSpec[] | null, uses: VariableUse[], provided: string[]): VariableSpec[] {
  const referenced = uses.map((u) => u.name);
  if (declared === null) {
    return uses.filter((u) => !provided.includes(u.name)).map(({ name, type, required }) => ({ name, type, required }));
  }
  declared.forEach((spec, i) => {
    const field = `variables.${i}`;
    if (!variableName.test(spec.name)) throw new InputError(`${field}.name: "${spec.name}" is not a valid variable name`, `${field}.name`);
    if (!types.includes(spec.type)) throw new InputError(`${field}.type: unknown type ${spec.type}`, `${field}.type`);
    if (declared.findIndex((s) => s.name === spec.name) !== i) throw new InputError(`${field}.name: duplicate variable "${spec.name}"`, `${field}.name`);
    if (spec.type === 'ENUM' && !(spec.enumValues && spec.enumValues.length > 0)) {
      throw new InputError(`${field}.enumValues: an ENUM variable needs at least one value`, `${field}.enumValues`);
    }
    if (spec.type !== 'ENUM' && spec.enumValues?.length) {
      throw new InputError(`${field}.enumValues: only ENUM variables have enum values`, `${field}.enumValues`);
    }
    if (spec.default !== undefined && spec.default !== null) {
      const problem = typeProblem(spec, spec.default);
      if (problem) throw new InputError(`${field}.default: ${problem}`, `${field}.default`);
    }
    if (provided.includes(spec.name)) {
      throw new InputError(`${field}.name: "${spec.name}" is the output of an augmentation step`, `${field}.name`);
    }
  });
  const undeclared = referenced.filter((name) => !provided.includes(name) && !declared.some((s) => s.name === name));
  if (undeclared.length) {
    throw new InputError(`variables: the template uses undeclared variable(s) ${undeclared.join(', ')}`, 'variables', { undeclared });
  }
  return declared;
}
