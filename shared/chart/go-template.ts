import { TemplateError, type ErrorContext } from '../errors/index.js';
import type { ChartValues } from './chart-values.js';
import {
  describePosition,
  parseTemplate,
  type ActionNode,
  type Command,
  type Operand,
  type ParsedTemplate,
  type TemplateFunction,
} from './go-template-parse.js';
import { describeValue, isValuesMap } from './value-kind.js';

export { parseTemplate, type ParsedTemplate } from './go-template-parse.js';

// Rendering follows relok8s `ImageTemplate.Render` (vmware-tanzu/asset-relocation-tool-for-kubernetes
// `internal/rewrite_action.go`; the same in DaoCloud/charts-syncer's vendored copy): the template executes
// against the values map itself (so `.image.tag`, never `.Values.image.tag`), and the output must parse
// as an image reference. Where Go prints `<no value>` for a missing key and relok8s then fails parsing
// the reference, this renderer fails at once and names the field; it also refuses an empty value read
// straight from a field, since `/repo:tag` is as useless as a missing registry.

/** A value on its way through a pipeline; `field` is set while it is still exactly a field's value. */
interface Evaluated {
  readonly value: unknown;
  readonly field?: string;
}

/** Renders a hint template against chart values; a missing, empty or non-scalar value is a TemplateError naming its path. */
export function renderTemplate(template: string | ParsedTemplate, values: ChartValues): string {
  const parsed = typeof template === 'string' ? parseTemplate(template) : template;
  let out = '';
  for (const node of parsed.nodes) {
    out +=
      node.kind === 'text' ? node.text : print(evalAction(node, values, parsed.source), parsed.source, node);
  }
  return out;
}

/** The value paths a template reads, in order of first use: `['image.registry', 'image.repository', 'image.tag']`. */
export function templateFieldPaths(template: string | ParsedTemplate): string[] {
  const parsed = typeof template === 'string' ? parseTemplate(template) : template;
  const paths = new Set<string>();
  for (const node of parsed.nodes) {
    if (node.kind === 'action') for (const path of actionFieldPaths(node)) paths.add(path);
  }
  return [...paths];
}

/** The value paths one action reads, in order. */
export function actionFieldPaths(action: ActionNode): string[] {
  return action.pipeline.flatMap((command) =>
    command.operands.flatMap((op) => (op.kind === 'field' ? [op.path.join('.')] : [])),
  );
}

/** Formats a number as Go's `fmt.Print` does a float64, which is what every YAML number is once Helm loads it. */
export function formatGoNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  // Go's %v is strconv 'g' with the shortest digits, switching to an exponent outside [1e-4, 1e6).
  const [mantissa = '', exponent = '0'] = n.toExponential().split('e');
  const exp = Number(exponent);
  if (exp >= -4 && exp < 6) return String(n);
  const sign = exp < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function evalAction(action: ActionNode, values: ChartValues, source: string): Evaluated {
  let piped: Evaluated | undefined;
  for (const command of action.pipeline) piped = evalCommand(command, values, source, piped);
  // The parser guarantees a non-empty pipeline; this only satisfies the type checker.
  return piped ?? { value: undefined };
}

function evalCommand(
  command: Command,
  values: ChartValues,
  source: string,
  piped: Evaluated | undefined,
): Evaluated {
  const [head, ...rest] = command.operands;
  if (head.kind !== 'function') return evalOperand(head, values, source);
  const args = rest.map((op) => evalOperand(op, values, source));
  if (piped !== undefined) args.push(piped);
  return call(head.name, args, source);
}

function evalOperand(op: Operand, values: ChartValues, source: string): Evaluated {
  switch (op.kind) {
    case 'field':
      return { value: lookup(values, op.path, source), field: op.path.join('.') };
    case 'dot':
      return { value: values };
    case 'literal':
      return { value: op.value };
    case 'function':
      throw new TemplateError(source, `function "${op.name}" cannot be an argument`);
  }
}

const FUNCTIONS: Readonly<
  Record<TemplateFunction, (args: readonly Evaluated[], source: string) => Evaluated>
> = {
  // Sprig: `default FALLBACK GIVEN` returns GIVEN unless it is empty; a piped value is GIVEN.
  default: ([fallback, given], source) => {
    if (fallback === undefined) throw new TemplateError(source, 'default needs a fallback value');
    return given !== undefined && !isEmpty(given.value) ? given : fallback;
  },
};

function call(name: TemplateFunction, args: readonly Evaluated[], source: string): Evaluated {
  return FUNCTIONS[name](args, source);
}

// Sprig's `empty`: nil, zero, false, "" and empty collections.
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isValuesMap(value) && Object.keys(value).length === 0;
}

// Own properties only: a path like `.constructor` or `.__proto__` must read values, not JS internals.
function lookup(values: ChartValues, path: readonly string[], source: string): unknown {
  let current: unknown = values;
  for (const [i, key] of path.entries()) {
    if (current === undefined || current === null) return undefined;
    if (!isValuesMap(current)) {
      const parent = path.slice(0, i).join('.');
      throw new TemplateError(
        source,
        `${parent} is ${describeValue(current)}, so ${path.join('.')} cannot be read`,
        { field: path.join('.') },
      );
    }
    current = Object.hasOwn(current, key) ? current[key] : undefined;
  }
  return current;
}

function print(evaluated: Evaluated, source: string, action: ActionNode): string {
  const { value, field } = evaluated;
  const subject =
    field === undefined ? `the action at ${describePosition(source, action.at)}` : `value ${field}`;
  const context: ErrorContext = field === undefined ? {} : { field };
  if (value === undefined || value === null) {
    const hint = field?.startsWith('Values.')
      ? ` (hint templates read the chart's values directly: write .${field.slice('Values.'.length)})`
      : '';
    throw new TemplateError(source, `${subject} is not set${hint}`, context);
  }
  switch (typeof value) {
    case 'string':
      if (value === '' && field !== undefined)
        throw new TemplateError(source, `${subject} is empty`, context);
      return value;
    case 'number':
      return formatGoNumber(value);
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      throw new TemplateError(source, `${subject} is ${describeValue(value)}, not a single value`, context);
  }
}
