// Prompt templates are Handlebars (logic-less; only the built-in block helpers), rendered in strict
// mode: a reference to a missing value is an error, never an empty string. Nothing is HTML-escaped.
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

/** Parses a template; returns the top-level variables it references (in order of appearance). */
export function referencedVariables(template: string, field: string): string[] {
  let ast: hbs.AST.Program;
  try {
    ast = handlebars.parse(template);
  } catch (err) {
    throw templateSyntaxError(field, err);
  }
  const found: string[] = [];
  const add = (name: string) => {
    if (!found.includes(name)) found.push(name);
  };
  const visitPath = (path: hbs.AST.PathExpression) => {
    if (path.data || path.depth > 0) return;
    const head = path.parts[0];
    if (head) add(head);
  };
  const visitExpression = (node: Node) => {
    if (node.type === 'PathExpression') visitPath(node as hbs.AST.PathExpression);
    if (node.type === 'SubExpression') {
      const sub = node as hbs.AST.SubExpression;
      sub.params.forEach(visitExpression);
    }
  };
  const visit = (node: Node, insideNewContext: boolean) => {
    switch (node.type) {
      case 'Program':
        (node as hbs.AST.Program).body.forEach((child) => visit(child, insideNewContext));
        return;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (insideNewContext) return;
        if (m.params.length === 0) visitExpression(m.path);
        else m.params.forEach(visitExpression);
        return;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        const helper = (b.path as hbs.AST.PathExpression).original;
        if (!builtInBlocks.has(helper)) {
          throw new InputError(`${field}: unknown block helper "${helper}" at line ${b.loc.start.line}`, field, {
            line: b.loc.start.line,
            column: b.loc.start.column + 1,
          });
        }
        if (!insideNewContext) b.params.forEach(visitExpression);
        // `each` and `with` change the context: names inside refer to the item, not to variables.
        const changesContext = helper === 'each' || helper === 'with';
        if (b.program) visit(b.program, insideNewContext || changesContext);
        if (b.inverse) visit(b.inverse, insideNewContext);
        return;
      }
      default:
        return;
    }
  };
  visit(ast, false);
  return found;
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Renders a template already validated by `referencedVariables`; compiled templates are cached. */
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
