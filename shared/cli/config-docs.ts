import type { Command, Option } from 'commander';
import { DEFAULT_CONFIG_FILE } from './config-file.js';
import { commandPath, configKey, configurableOptions, envName, leafCommands } from './option-keys.js';

const HEADER = `# Configuration

<!-- Generated from the command tree by \`npm run docs:config\`; do not edit by hand. -->

Every flag of every command can also be set in a config file or in the environment. Options are
resolved once, before the command runs, and each value goes through the same parser as on the command
line (sizes such as \`4MiB\`, rates such as \`200Mbit/s\`, durations such as \`90s\`, choices), so a bad
value is refused the same way: exit 2, naming the flag, the variable, or the file and key.

## Precedence

1. the command line
2. the environment: \`AIRLIFT_<FLAG>\`, the long flag name in upper snake case (\`--piece-size\` is
   \`AIRLIFT_PIECE_SIZE\`); \`--nats\` keeps its name \`AIRLIFT_NATS_URL\`, and \`upgrade --version\`
   (the chart version) is \`AIRLIFT_CHART_VERSION\`, and \`serve --listen\` (the dashboard's
   address, not the data plane's) is \`AIRLIFT_SERVE_LISTEN\`
3. the config file, the command's own section
4. the config file, top level
5. the default shown below

A switch (\`--dry-run\`, \`--insecure\`, \`--no-skip-verified\` under its key \`skip-verified\`) takes
\`true\` or \`false\` in the file and in the environment; an empty variable counts as unset.
\`AIRLIFT_NATS_PASSWORD\` and \`AIRLIFT_NATS_TOKEN\` hold NATS secrets (see \`--nats-user\`,
\`--nats-token-file\`); \`AIRLIFT_LOG_FORMAT\` and \`AIRLIFT_LOG_LEVEL\` set logging. For \`airlift resume\`,
only flags on its command line override the parameters recorded with the run.

## The config file

\`${DEFAULT_CONFIG_FILE}\` is read when it exists; \`airlift --config FILE <command>\` (or
\`AIRLIFT_CONFIG=FILE\`) reads another one, which must exist. It is YAML: top-level keys are long flag
names without the dashes and apply to every command that has the flag; a key naming a command as it
is typed after \`airlift\` (\`upgrade\`, \`status\`, \`node load\`, \`fleet init\`) holds a section of that
command's flags, which wins over the top level. A flag that may be repeated takes a list. Every key of
the file is checked whichever command runs (an unknown key is refused, with the nearest known one
suggested); a top-level value is checked by each command it applies to, a section's values always.
Keep secrets out of it: it names files that hold them (\`nats-password-file\`, \`identity\`).

\`\`\`yaml
# ${DEFAULT_CONFIG_FILE}
nats: tls://10.0.0.5:4222
identity: /etc/airlift/fleet/coordinator.json
upgrade:
  namespace: prod
  piece-size: 4MiB
  timeout: 45m
  kube-context: prod-admin
status:
  output: yaml
agent:
  max-rate: 200Mbit/s
\`\`\`
`;

/** A table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
}

function defaultOf(option: Option): string {
  if (option.defaultValueDescription !== undefined) return `\`${option.defaultValueDescription}\``;
  if (option.negate && option.defaultValue === undefined) return '`true`';
  if (option.defaultValue === undefined) return '';
  if (Array.isArray(option.defaultValue) && option.defaultValue.length === 0) return '';
  return `\`${typeof option.defaultValue === 'string' ? option.defaultValue : JSON.stringify(option.defaultValue)}\``;
}

function optionRow(option: Option, command: Command): string {
  const key = configKey(option) ?? '';
  return `| \`${cell(option.flags)}\` | \`${envName(option, command) ?? ''}\` | \`${key}\` | ${cell(defaultOf(option))} | ${
    option.mandatory ? 'yes' : ''
  } | ${cell(option.description)} |`;
}

function commandSection(command: Command): string {
  const path = commandPath(command);
  const options = [...configurableOptions(command).values()];
  const lines = [`### airlift ${path}`, '', cell(command.description()), ''];
  if (options.length === 0) return [...lines, 'No flags.', ''].join('\n');
  lines.push(
    `Config section \`${path}:\`.`,
    '',
    '| flag | environment | config key | default | required | description |',
    '|---|---|---|---|---|---|',
    ...options.map((option) => optionRow(option, command)),
    '',
  );
  return lines.join('\n');
}

/** docs/configuration.md: precedence, file format, an example, then every command's flags. */
export function configDocs(program: Command): string {
  const programOptions = program.options
    .filter((option) => option.long === '--config' || option.long === '--log-format')
    .map((option) => `- \`${option.flags}\`: ${cell(option.description)}`);
  return [
    HEADER,
    '## Program options',
    '',
    'Given before the command (`airlift --config FILE upgrade …`); not read from the config file.',
    '',
    ...programOptions,
    '',
    '## Commands',
    '',
    ...leafCommands(program).map(commandSection),
  ]
    .join('\n')
    .replace(/\n+$/, '\n');
}
