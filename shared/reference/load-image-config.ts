import { readFile } from 'node:fs/promises';
import { type YAMLError, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigInvalidError } from '../errors/index.js';
import { type Relok8sRetagRule, findRetagRuleProblem } from './retag-rule.js';
import { Secret } from './secret.js';

// The charts-syncer (DaoCloud fork) config for `charts-syncer sync --config load-image.yaml`: field names from
// its api/config.proto (protojson camelCase), env overrides from internal/config/config.go.

/** Chart repository kinds a charts-syncer target accepts. */
export const CHART_REPO_KINDS = ['HARBOR', 'CHARTMUSEUM', 'OCI', 'LOCAL', 'JFROG'] as const;
export type ChartRepoKind = (typeof CHART_REPO_KINDS)[number];

export interface Credentials {
  readonly username: string;
  readonly password: Secret;
}

/** Target registry credentials; `registry` is the one charts-syncer pairs them with (prefix registry first). */
export interface ContainerAuth extends Credentials {
  readonly registry?: string;
}

export interface ChartRepoConfig {
  readonly kind: ChartRepoKind;
  readonly url?: string;
  readonly path?: string;
  readonly auth?: Credentials;
}

export interface LoadImageConfig {
  readonly rule: Relok8sRetagRule;
  readonly intermediateBundlesPath?: string;
  readonly containerAuth?: ContainerAuth;
  readonly repo?: ChartRepoConfig;
}

// YAML `key:` with no value is null; charts-syncer reads that as unset, so accept it everywhere.
const text = z.string().nullish();
const auth = z.object({ username: text, password: text }).nullish();
// z.object drops keys it does not know: charts-syncer has many more (charts, repoName, containers.kind, …).
const schema = z.object({
  source: z.object({ intermediateBundlesPath: text }).nullish(),
  target: z.object({
    containerRegistry: text,
    containerRepository: text,
    containerPrefixRegistry: text,
    containerPrefixRepository: text,
    appendOriginRegistry: z.boolean().nullish(),
    repo: z.object({ kind: z.enum(CHART_REPO_KINDS), url: text, path: text, auth }).nullish(),
    containers: z.object({ auth }).nullish(),
  }),
});
type Issue = z.ZodError['issues'][number];

// Viper binds these (InitEnvBindings); the first non-empty one wins over the file.
const ENV = {
  containersUsername: ['TARGET_CONTAINERS_AUTH_USERNAME'],
  containersPassword: ['TARGET_CONTAINERS_AUTH_PASSWORD'],
  repoUsername: ['TARGET_REPO_AUTH_USERNAME', 'TARGET_AUTH_USERNAME'],
  repoPassword: ['TARGET_REPO_AUTH_PASSWORD', 'TARGET_AUTH_PASSWORD'],
} as const;

// Fixed wording per yaml error code: yaml's own messages quote the offending source line, which may hold a password.
const YAML_PROBLEMS: Readonly<Record<string, string>> = {
  BAD_INDENT: 'bad indentation',
  TAB_AS_INDENT: 'a tab used for indentation',
  DUPLICATE_KEY: 'a key appears twice in the same mapping',
  MISSING_CHAR: 'a closing quote or bracket is missing',
  BLOCK_AS_IMPLICIT_KEY: 'a value contains ": " (quote the value)',
  MULTILINE_IMPLICIT_KEY: 'a key spans several lines',
  MULTIPLE_DOCS: 'more than one YAML document',
  UNEXPECTED_TOKEN: 'an unexpected character',
  BAD_ALIAS: 'a bad alias (quote values that start with "*")',
  BAD_SCALAR_START: 'a value starts with a reserved character (quote the value)',
};

function yamlProblem(error: YAMLError): string {
  const at = error.linePos?.[0];
  const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
  return `YAML syntax error${where}: ${YAML_PROBLEMS[error.code] ?? error.code.toLowerCase().replaceAll('_', ' ')}`;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let node = data;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

// Own wording, never the input: zod can be told to echo values, and a value here may be a password.
function issueProblem(issue: Issue, data: unknown): string {
  if (issue.code === 'invalid_type') {
    if (valueAt(data, issue.path) === undefined) return 'is required';
    const hint = issue.expected === 'string' ? ' (quote the value in the YAML)' : '';
    return `must be ${issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`}${hint}`;
  }
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map(String).join(', ')}`;
  return issue.message;
}

function firstEnv(env: NodeJS.ProcessEnv, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

function nonEmpty(value: string | null | undefined): value is string {
  return value !== undefined && value !== null && value !== '';
}

/** Parse a charts-syncer load-image.yaml; `file` names it in errors. Throws ConfigInvalidError, never echoing secrets. */
export function parseLoadImageConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadImageConfig {
  const doc = parseDocument(text);
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) throw new ConfigInvalidError(file, '', yamlProblem(syntaxError));
  let data: unknown;
  try {
    data = doc.toJS();
  } catch {
    // No cause attached: yaml's messages can name an alias, i.e. part of a value.
    throw new ConfigInvalidError(
      file,
      '',
      'the YAML has an unresolved alias (quote values that start with "*")',
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigInvalidError(file, '', 'must be a YAML mapping with source: and target: sections');
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined ? '' : issue.path.map(String).join('.');
    throw new ConfigInvalidError(file, field, issue === undefined ? 'invalid' : issueProblem(issue, data));
  }
  const { source, target } = parsed.data;

  const rule: Relok8sRetagRule = {
    kind: 'relok8s',
    ...(nonEmpty(target.containerRegistry) ? { containerRegistry: target.containerRegistry } : {}),
    ...(nonEmpty(target.containerRepository) ? { containerRepository: target.containerRepository } : {}),
    ...(nonEmpty(target.containerPrefixRegistry)
      ? { containerPrefixRegistry: target.containerPrefixRegistry }
      : {}),
    ...(nonEmpty(target.containerPrefixRepository)
      ? { containerPrefixRepository: target.containerPrefixRepository }
      : {}),
    ...(target.appendOriginRegistry === true ? { appendOriginRegistry: true } : {}),
  };
  const ruleProblem = findRetagRuleProblem(rule);
  if (ruleProblem !== undefined) {
    throw new ConfigInvalidError(file, `target.${ruleProblem.field}`, ruleProblem.problem);
  }

  // charts-syncer keeps container credentials when either half is set, paired with the push registry.
  const username = firstEnv(env, ENV.containersUsername) ?? target.containers?.auth?.username ?? '';
  const password = firstEnv(env, ENV.containersPassword) ?? target.containers?.auth?.password ?? '';
  const authRegistry = rule.containerPrefixRegistry ?? rule.containerRegistry;
  const containerAuth: ContainerAuth | undefined =
    username === '' && password === ''
      ? undefined
      : {
          username,
          password: new Secret(password),
          ...(authRegistry === undefined ? {} : { registry: authRegistry }),
        };

  let repo: ChartRepoConfig | undefined;
  if (target.repo) {
    // …and chart repository credentials only when both halves are set.
    const repoUsername = firstEnv(env, ENV.repoUsername) ?? target.repo.auth?.username ?? '';
    const repoPassword = firstEnv(env, ENV.repoPassword) ?? target.repo.auth?.password ?? '';
    repo = {
      kind: target.repo.kind,
      ...(nonEmpty(target.repo.url) ? { url: target.repo.url } : {}),
      ...(nonEmpty(target.repo.path) ? { path: target.repo.path } : {}),
      ...(repoUsername !== '' && repoPassword !== ''
        ? { auth: { username: repoUsername, password: new Secret(repoPassword) } }
        : {}),
    };
  }

  return {
    rule,
    ...(nonEmpty(source?.intermediateBundlesPath)
      ? { intermediateBundlesPath: source.intermediateBundlesPath }
      : {}),
    ...(containerAuth === undefined ? {} : { containerAuth }),
    ...(repo === undefined ? {} : { repo }),
  };
}

/** Read and parse a load-image.yaml from disk (see parseLoadImageConfig). */
export async function readLoadImageConfig(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadImageConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigInvalidError(path, '', `cannot be read (${code}): check the path and permissions`, err);
  }
  return parseLoadImageConfig(text, path, env);
}
