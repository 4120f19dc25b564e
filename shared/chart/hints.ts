import { ConfigInvalidError, TemplateError } from '../errors/index.js';
import type { ChartValues } from './chart-values.js';
import { parseTemplate, renderTemplate, templateFieldPaths } from './go-template.js';
import { describeValue } from './value-kind.js';
import { parseYamlData } from './yaml-data.js';

/** One hints.yaml template and what it rendered to: `reference` on success, `error` otherwise. */
export interface RenderedHint {
  readonly template: string;
  /** Position in hints.yaml, from 0. */
  readonly index: number;
  readonly reference?: string;
  readonly error?: TemplateError;
  /** Value paths the template reads; empty when it does not parse. */
  readonly fields: string[];
}

// relok8s reads the file as `yaml.Unmarshal(patterns, &[]string)` (ParseImagePatterns in
// internal/image_template.go); an empty file is an empty list there too, i.e. a chart without images.

/** Reads hints.yaml: a YAML list of non-empty template strings; anything else is a ConfigInvalidError. */
export function parseHints(yamlText: string, file: string): string[] {
  const data = parseYamlData(yamlText, file);
  if (data === null || data === undefined) return [];
  if (!Array.isArray(data)) {
    throw new ConfigInvalidError(file, '', `expected a list of image templates, got ${describeValue(data)}`);
  }
  return data.map((item: unknown, i) => {
    if (typeof item !== 'string') {
      throw new ConfigInvalidError(file, `[${i}]`, `expected a string, got ${describeValue(item)}`);
    }
    if (item.trim() === '') throw new ConfigInvalidError(file, `[${i}]`, 'expected a non-empty template');
    return item;
  });
}

/** Renders every template against the values; a bad template gets its own error and the rest still render. */
export function renderHints(templates: readonly string[], values: ChartValues): RenderedHint[] {
  return templates.map((template, index) => {
    let fields: string[] = [];
    try {
      const parsed = parseTemplate(template);
      fields = templateFieldPaths(parsed);
      return { template, index, reference: renderTemplate(parsed, values), fields };
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      return { template, index, error: err, fields };
    }
  });
}
