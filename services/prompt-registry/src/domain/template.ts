// Prompt templates are Handlebars (logic-less: the built-in blocks if/unless/each/with and the
// lookup helper, no partials or decorators), rendered in strict mode: a reference to a missing value
// is an error, never an empty string. Nothing is HTML-escaped. What a template may use is checked
// when a version is created, so a stored version never fails to render for its template's sake.
import Handlebars from 'handlebars';
import { InputError } from '@llmops/platform';

type Node = hbs.AST.Node;

const handlebars = Handlebars.create();
const builtInBlocks = new Set(['if', 'unless', 'each', 'with']);
const compileOptions = {
  strict: true,
  noEscape: true,
  knownHelpersOnly: true,
  knownHelpers: { if: true, unless: true, each: true, with: true, lookup: true, log: false, helperMissing: false, blockHelperMissing: false },
} as const;

// Keep the parser's error location (jison passes it in `hash` and Handlebars drops it).
(Handlebars as unknown as { Parser: { parseError: (message: string, hash: unknown) => never } }).Parser.parseError = (message, hash) => {
  throw Object.assign(new Error(message), { hash });
};

export interface TemplateLocation {
  line: number;
  column: number;
}

/** A template that does not parse: BAD_USER_INPUT naming the field and the line/column. */
export function templateSyntaxError(field: string, err: unknown): InputError {
  const e = err as { message?: string; hash?: { loc?: { first_line: number; first_column: number } }; lineNumber?: number; column?: number };
  const location: TemplateLocation | null = e.hash?.loc
    ? { line: e.hash.loc.first_line, column: e.hash.loc.first_column + 1 }
    : e.lineNumber !== undefined
      ? { line: e.lineNumber, column: (e.column ?? 0) + 1 }
      : null;
  const firstLine = (e.message ?? 'invalid template').split('\n').pop()!.replace(/ - \d+:\d+$/, '');
  const where = location ? ` at line ${location.line}, column ${location.column}` : '';
  return new InputError(`${field}: template syntax error${where}: ${firstLine}`, field, location ? { ...location } : {});
}

/**
 * How a template uses one of its top-level variables; a version that declares no variables gets
 * its specs from these. `type` is STRING for a value that is printed (or passed to `lookup` as a
 * key), JSON for one whose fields are read (`{{user.name}}`, `lookup user key`) or that `each` /
 * `with` enter, BOOLEAN for one only tested by `if` / `unless`. `required` is false when every use
 * is such a test or sits inside a block guarded by a test of the same variable (`{{#if note}}…{{note}}…{{/if}}`).
 */
export interface VariableUse {
  name: string;
  type: 'STRING' | 'JSON' | 'BOOLEAN';
  required: boolean;
}

const typeRank = { BOOLEAN: 0, STRING: 1, JSON: 2 } as const;

/** Adds `use` to `uses`, merging it with an earlier use of the same variable (JSON > STRING > BOOLEAN; required wins). */
export function mergeUse(uses: VariableUse[], use: VariableUse): void {
  const i = uses.findIndex((u) => u.name === use.name);
  if (i < 0) {
    uses.push({ ...use });
    return;
  }
  const prev = uses[i]!;
  uses[i] = { name: use.name, type: typeRank[use.type] > typeRank[prev.type] ? use.type : prev.type, required: prev.required || use.required };
}

/** Helpers the render allows in a mustache or sub-expression (`{{lookup obj key}}`); see compileOptions. */
const inlineHelpers = new Set(['lookup']);
/** Names a simple `{{name}}` resolves to a helper instead of a variable (compileOptions.knownHelpers set to true). */
const helperNames = new Set(['if', 'unless', 'each', 'with', 'lookup']);
const blockList = '{{#if}}, {{#unless}}, {{#each}} and {{#with}}';

interface Scope {
  /** Context-changing blocks (`each`, `with`) around this point: `../` climbs one of them. */
  depth: number;
  /** Top-level variables tested truthy by an enclosing `if` (or in the `else` of an `unless`). */
  guards: ReadonlySet<string>;
  blockParams: ReadonlySet<string>;
}

/**
 * Parses a template and checks that it can render: no partials, no decorators, no helper the
 * render does not provide, `../` never above the top level. Returns how it uses its top-level
 * variables (in order of first appearance), `../x` and `@root.x` included.
 */
export function templateVariables(template: string, field: string): VariableUse[] {
  let ast: hbs.AST.Program;
  try {
    ast = handlebars.parse(template);
  } catch (err) {
    throw templateSyntaxError(field, err);
  }
  const uses: VariableUse[] = [];
  const refuse = (node: Node, message: string): never => {
    throw new InputError(`${field}: ${message} at line ${node.loc.start.line}, column ${node.loc.start.column + 1}`, field, {
      line: node.loc.start.line,
      column: node.loc.start.column + 1,
    });
  };
  /** The top-level variable a path names (head and the parts after it), or null for a path into an item or `this`. */
  const topLevel = (path: hbs.AST.PathExpression, scope: Scope): string[] | null => {
    if (path.data) return path.parts[0] === 'root' && path.parts.length > 1 ? path.parts.slice(1) : null;
    if (path.depth > scope.depth) refuse(path, `"${path.original}" climbs above the top level of the template`);
    if (path.depth < scope.depth || path.parts.length === 0) return null;
    return path.parts;
  };
  const visitPath = (path: hbs.AST.PathExpression, kind: 'value' | 'object' | 'condition', scope: Scope) => {
    const parts = topLevel(path, scope);
    if (!parts) return;
    const name = parts[0]!;
    const type = kind === 'object' || parts.length > 1 ? 'JSON' : kind === 'condition' ? 'BOOLEAN' : 'STRING';
    mergeUse(uses, { name, type, required: type !== 'BOOLEAN' && !scope.guards.has(name) });
  };
  const simpleName = (path: Node, scope: Scope): string | null => {
    if (path.type !== 'PathExpression') return null;
    const p = path as hbs.AST.PathExpression;
    const name = p.parts[0];
    const simple = p.parts.length === 1 && p.depth === 0 && !p.data && !/^\.|this\b/.test(p.original);
    return simple && name !== undefined && !scope.blockParams.has(name) ? name : null;
  };
  const visitExpression = (node: Node, kind: 'value' | 'object' | 'condition', scope: Scope) => {
    if (node.type === 'PathExpression') visitPath(node as hbs.AST.PathExpression, kind, scope);
    else if (node.type === 'SubExpression') visitCall(node as hbs.AST.SubExpression, scope);
  };
  const visitHash = (hash: hbs.AST.Hash | undefined, scope: Scope) => hash?.pairs.forEach((pair) => visitExpression(pair.value, 'value', scope));
  /** `{{helper a b}}` or `(helper a b)`: only `lookup obj key` exists. */
  const visitCall = (call: hbs.AST.MustacheStatement | hbs.AST.SubExpression, scope: Scope) => {
    const name = simpleName(call.path, scope);
    const shown = call.path.type === 'PathExpression' ? (call.path as hbs.AST.PathExpression).original : String((call.path as hbs.AST.StringLiteral).value);
    if (name === null || !inlineHelpers.has(name)) {
      const hint = helperNames.has(shown) ? ` ("${shown}" is a block: {{#${shown} x}}…{{/${shown}}})` : '';
      refuse(call, `unknown helper "${shown}"${hint}; templates may call only {{lookup object key}} and the blocks ${blockList}`);
    }
    if (call.params.length !== 2) refuse(call, '{{lookup}} takes exactly two arguments, an object and a key');
    call.params.forEach((param, i) => visitExpression(param, i === 0 ? 'object' : 'value', scope));
    visitHash(call.hash, scope);
  };
  const visit = (node: Node, scope: Scope) => {
    switch (node.type) {
      case 'Program':
        (node as hbs.AST.Program).body.forEach((child) => visit(child, scope));
        return;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (m.params.length > 0 || (m.hash?.pairs.length ?? 0) > 0) return visitCall(m, scope);
        const name = simpleName(m.path, scope);
        if (name !== null && helperNames.has(name)) {
          refuse(m, `"{{${name}}}" calls the ${name} helper; a variable cannot be named "${name}"`);
        }
        visitExpression(m.path, 'value', scope);
        return;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        const helper = (b.path as hbs.AST.PathExpression).original;
        if (!builtInBlocks.has(helper)) {
          refuse(b, `unknown block helper "${helper}"; the blocks are ${blockList}`);
        }
        if (b.params.length !== 1) refuse(b, `{{#${helper}}} takes exactly one argument`);
        const target = b.params[0]!;
        const condition = helper === 'if' || helper === 'unless';
        visitExpression(target, condition ? 'condition' : 'object', scope);
        visitHash(b.hash, scope);
        const tested = condition && target.type === 'PathExpression' ? topLevel(target as hbs.AST.PathExpression, scope) : null;
        const guarded = (s: Scope): Scope => (tested?.length === 1 ? { ...s, guards: new Set([...s.guards, tested[0]!]) } : s);
        // `each` and `with` change the context: names inside refer to the item, `../x` to the outside.
        const inner: Scope =
          helper === 'each' || helper === 'with'
            ? { depth: scope.depth + 1, guards: scope.guards, blockParams: new Set([...scope.blockParams, ...(b.program.blockParams ?? [])]) }
            : scope;
        if (b.program) visit(b.program, helper === 'if' ? guarded(inner) : inner);
        if (b.inverse) visit(b.inverse, helper === 'unless' ? guarded(scope) : scope);
        return;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        return refuse(node, `partials ({{> name}}) are not supported: a template cannot include another one`);
      case 'Decorator':
      case 'DecoratorBlock':
        return refuse(node, `decorators and inline partials ({{* name}}, {{#* inline}}) are not supported`);
      default:
        return;
    }
  };
  visit(ast, { depth: 0, guards: new Set(), blockParams: new Set() });
  return uses;
}

/** The top-level variables a template uses (in order of first appearance); see `templateVariables`. */
export function referencedVariables(template: string, field: string): string[] {
  return templateVariables(template, field).map((u) => u.name);
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Renders a template already validated by `templateVariables`; compiled templates are cached. */
export function renderTemplate(template: string, values: Record<string, unknown>, field: string): string {
  let fn = compiled.get(template);
  if (!fn) {
    fn = handlebars.compile(template, compileOptions);
    if (compiled.size > 5_000) compiled.clear();
    compiled.set(template, fn);
  }
  try {
    return fn(values);
  } catch (err) {
    // In strict mode a nested path that is missing (e.g. {{user.name}} with user = {}) fails here.
    throw new InputError(`${field}: ${(err as Error).message.replace(/ in \[object Object\]/, '')}`, field);
  }
}
