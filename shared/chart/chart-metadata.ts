import { visit, type Document } from 'yaml';
import { z } from 'zod';
import { ConfigInvalidError } from '../errors/index.js';
import { firstIssue } from '../validation/index.js';
import { describeValue, isValuesMap } from './value-kind.js';
import { parseYamlData } from './yaml-data.js';

/** One `dependencies[]` entry of Chart.yaml. */
export interface ChartDependency {
  readonly name: string;
  readonly version?: string;
  readonly repository?: string;
  readonly alias?: string;
  readonly condition?: string;
  readonly tags?: readonly string[];
}

/** The Chart.yaml fields airlift uses. */
export interface ChartMetadata {
  readonly name: string;
  readonly version: string;
  readonly appVersion?: string;
  readonly apiVersion?: string;
  readonly description?: string;
  readonly type?: string;
  /** Omitted when Chart.yaml declares none. */
  readonly dependencies?: readonly ChartDependency[];
}

// Helm validates the chart version with Masterminds semver.NewVersion, which allows a `v` and missing
// minor/patch parts; the same leniency is kept so a chart Helm installed is never refused here.
const SEMVER =
  /^v?\d+(\.\d+)?(\.\d+)?(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

const optionalText = z.string().nullish();

const dependencySchema = z.object({
  name: z.string().min(1),
  version: optionalText,
  repository: optionalText,
  alias: optionalText,
  condition: optionalText,
  tags: z.array(z.string()).nullish(),
});

const chartSchema = z.object({
  apiVersion: z.enum(['v1', 'v2'], { error: 'must be v1 or v2' }).nullish(),
  name: z.string().min(1),
  version: z.string().regex(SEMVER, { error: 'is not a semantic version' }),
  appVersion: optionalText,
  description: optionalText,
  type: optionalText,
  dependencies: z.array(dependencySchema).nullish(),
});

/** Parses and validates a Chart.yaml text; a problem is a ConfigInvalidError naming the field (`version`, `dependencies[0].name`). */
export function parseChartMetadata(yamlText: string, file: string): ChartMetadata {
  const data = parseYamlData(yamlText, file, keepNumbersAsWritten);
  if (!isValuesMap(data))
    throw new ConfigInvalidError(file, '', `expected a map, got ${describeValue(data)}`);
  const result = chartSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const { path, message } = firstIssue(result.error);
    throw new ConfigInvalidError(file, path, issue === undefined ? message : problemOf(issue, data));
  }
  const chart = result.data;
  return {
    name: chart.name,
    version: chart.version,
    ...present('appVersion', chart.appVersion),
    ...present('apiVersion', chart.apiVersion),
    ...present('description', chart.description),
    ...present('type', chart.type),
    ...(chart.dependencies == null ? {} : { dependencies: chart.dependencies.map(toDependency) }),
  };
}

function toDependency(dep: z.infer<typeof dependencySchema>): ChartDependency {
  return {
    name: dep.name,
    ...present('version', dep.version),
    ...present('repository', dep.repository),
    ...present('alias', dep.alias),
    ...present('condition', dep.condition),
    ...(dep.tags == null ? {} : { tags: dep.tags }),
  };
}

// exactOptionalPropertyTypes: an absent field is left out, never set to undefined.
function present<K extends string>(key: K, value: string | null | undefined): { [P in K]?: string } {
  return value == null ? {} : ({ [key]: value } as { [P in K]: string });
}

// `version: 1.10` is a YAML float (1.1); Chart.yaml fields are text, so keep what the author wrote.
function keepNumbersAsWritten(doc: Document): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'number' && node.source !== undefined) node.value = node.source;
    },
  });
}

function problemOf(issue: z.core.$ZodIssue, data: unknown): string {
  if (issue.code === 'invalid_type') {
    const value = valueAt(data, issue.path);
    return value === undefined || value === null
      ? 'required'
      : `expected ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, got ${describeValue(value)}`;
  }
  if (issue.code === 'too_small' && issue.origin === 'string') return 'must not be empty';
  return issue.message;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let current = data;
  for (const key of path) {
    if (Array.isArray(current) && typeof key === 'number') current = current[key];
    else if (isValuesMap(current) && typeof key === 'string') current = current[key];
    else return undefined;
  }
  return current;
}
