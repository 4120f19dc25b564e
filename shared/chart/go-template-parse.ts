import { TemplateError } from '../errors/index.js';

// The subset of Go text/template that image hint files use. Sources followed:
// - vmware-tanzu/asset-relocation-tool-for-kubernetes `internal/image_template.go` (NewFromString):
//   `template.New(input).Parse(input)` with no FuncMap, so only plain Go template syntax, no Sprig.
// - DaoCloud/charts-syncer `staging/.../asset-relocation-tool-for-kubernetes/provider/image_template.go`
//   (prepTemplateString), the copy charts-syncer builds bundles with: every `{{ .a.b-c }}` is rewritten to
//   `{{ index . "a" "b-c" }}`, so a field segment may hold any character but `.` (hyphenated subchart
//   names such as `.sub-chart.image.tag` are valid there, although Go's own field syntax rejects them).
// Everything else Go accepts (if/range/with, variables, parentheses, other functions) is refused with a
// clear error instead of being half-supported.

/** Functions a hint may call, with their argument counts (a piped value counts as the last argument). */
const FUNCTIONS = { default: { min: 1, max: 2 } } as const;

/** A function name a hint may call: Sprig's `default` only. */
export type TemplateFunction = keyof typeof FUNCTIONS;

/** One operand of a command: a value path, `.`, a literal, or a function name (first operand only). */
export type Operand =
  | { readonly kind: 'field'; readonly path: readonly string[]; readonly at: number }
  | { readonly kind: 'dot'; readonly at: number }
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null; readonly at: number }
  | { readonly kind: 'function'; readonly name: TemplateFunction; readonly at: number };

/** One stage of a pipeline: `default "x" .a` or `.a`. */
export interface Command {
  readonly operands: readonly [Operand, ...Operand[]];
}

/** Literal text between actions, with trim markers already applied. */
export interface TextNode {
  readonly kind: 'text';
  readonly text: string;
}

/** A `{{ … }}` action; `at` is the offset of its `{{`. */
export interface ActionNode {
  readonly kind: 'action';
  readonly pipeline: readonly [Command, ...Command[]];
  readonly at: number;
}

/** A node of a parsed template. */
export type TemplateNode = TextNode | ActionNode;

/** A template parsed once, to be rendered against many value sets. */
export interface ParsedTemplate {
  readonly source: string;
  readonly nodes: readonly TemplateNode[];
}

const KEYWORDS = new Set([
  'if',
  'else',
  'end',
  'range',
  'with',
  'define',
  'template',
  'block',
  'break',
  'continue',
]);
const SPACE = /^[ \t\r\n]$/;
// Anything the DaoCloud rewrite would put inside a quoted index key, minus what ends an operand here.
const KEY_CHAR = /^[^\s.|(){}"'`$,=:]$/u;
const IDENT_START = /^[A-Za-z_]$/;
const IDENT_CHAR = /^[A-Za-z0-9_]$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
};

/** Parses a hint template; a syntax error is a TemplateError saying at which column (and line) it is. */
export function parseTemplate(source: string): ParsedTemplate {
  return new Parser(source).parse();
}

/** `column 7`, or `line 2, column 3` when the template spans lines. */
export function describePosition(source: string, at: number): string {
  const before = source.slice(0, at);
  const column = at - before.lastIndexOf('\n');
  if (!source.includes('\n')) return `column ${column}`;
  return `line ${before.split('\n').length}, column ${column}`;
}

function isSpace(c: string | undefined): boolean {
  return c !== undefined && SPACE.test(c);
}

class Parser {
  private pos = 0;
  private readonly nodes: TemplateNode[] = [];

  constructor(private readonly src: string) {}

  parse(): ParsedTemplate {
    let trimLeading = false;
    for (;;) {
      const open = this.src.indexOf('{{', this.pos);
      let text = this.src.slice(this.pos, open === -1 ? undefined : open);
      if (trimLeading) text = text.replace(/^[ \t\r\n]+/, '');
      if (open === -1) {
        this.pushText(text);
        return { source: this.src, nodes: this.nodes };
      }
      this.pos = open + 2;
      // Go's left trim marker is "{{-" followed by a space; "{{-3}}" is the number -3.
      if (this.src[this.pos] === '-' && isSpace(this.src[this.pos + 1])) {
        text = text.replace(/[ \t\r\n]+$/, '');
        this.pos += 2;
      }
      this.pushText(text);
      trimLeading = this.action(open);
    }
  }

  private pushText(text: string): void {
    if (text !== '') this.nodes.push({ kind: 'text', text });
  }

  /** Parses one action whose `{{` is at `open`; returns whether it ends with a right trim marker. */
  private action(open: number): boolean {
    if (this.src.startsWith('/*', this.pos)) {
      const end = this.src.indexOf('*/', this.pos + 2);
      if (end === -1) throw this.error('unclosed comment', open);
      this.pos = end + 2;
      const close = this.closeDelimiter(this.skipSpace());
      if (close === undefined) throw this.error('comment ends before the closing delimiter', this.pos);
      return close;
    }
    const commands: Command[] = [];
    let operands: Operand[] = [];
    let lastPipe = open;
    for (;;) {
      const hadSpace = this.skipSpace();
      if (this.pos >= this.src.length) throw this.error('unclosed action', open);
      const close = this.closeDelimiter(hadSpace);
      if (close !== undefined) {
        const [first, ...rest] = operands;
        if (first !== undefined) commands.push({ operands: [first, ...rest] });
        else if (commands.length > 0) throw this.error('missing command after "|"', lastPipe);
        const [head, ...tail] = commands;
        if (head === undefined) throw this.error('empty action', open);
        const pipeline: [Command, ...Command[]] = [head, ...tail];
        this.checkPipeline(pipeline);
        this.nodes.push({ kind: 'action', pipeline, at: open });
        return close;
      }
      if (this.src[this.pos] === '|') {
        const [first, ...rest] = operands;
        if (first === undefined) throw this.error('missing command before "|"', this.pos);
        commands.push({ operands: [first, ...rest] });
        operands = [];
        lastPipe = this.pos;
        this.pos++;
        continue;
      }
      if (operands.length > 0 && !hadSpace) throw this.error('missing space between operands', this.pos);
      operands.push(this.operand());
    }
  }

  /** Consumes `}}` (false) or whitespace-then-`-}}` (true); undefined when neither is next. */
  private closeDelimiter(hadSpace: boolean): boolean | undefined {
    if (this.src.startsWith('}}', this.pos)) {
      this.pos += 2;
      return false;
    }
    if (hadSpace && this.src.startsWith('-}}', this.pos)) {
      this.pos += 3;
      return true;
    }
    return undefined;
  }

  private skipSpace(): boolean {
    const start = this.pos;
    while (isSpace(this.src[this.pos])) this.pos++;
    return this.pos > start;
  }

  private operand(): Operand {
    const at = this.pos;
    const c = this.src[at] ?? '';
    if (c === '.') return this.field(at);
    if (c === '"') return { kind: 'literal', value: this.quoted(at), at };
    if (c === '`') {
      const end = this.src.indexOf('`', at + 1);
      if (end === -1) throw this.error('unterminated raw string', at);
      this.pos = end + 1;
      return { kind: 'literal', value: this.src.slice(at + 1, end), at };
    }
    const number = NUMBER.exec(this.src.slice(at));
    if (number !== null && /[0-9]/.test(c + (this.src[at + 1] ?? ''))) {
      this.pos += number[0].length;
      const next = this.src[this.pos];
      if (next !== undefined && (IDENT_CHAR.test(next) || next === '.'))
        throw this.error('bad number syntax', at);
      return { kind: 'literal', value: Number(number[0]), at };
    }
    if (IDENT_START.test(c)) return this.identifier(at);
    if (c === '$') throw this.error('variables ($) are not supported in image hints', at);
    if (c === '(' || c === ')') throw this.error('parentheses are not supported in image hints', at);
    throw this.error(`unexpected ${JSON.stringify(c)} in action`, at);
  }

  private field(at: number): Operand {
    const path: string[] = [];
    while (this.src[this.pos] === '.') {
      this.pos++;
      const start = this.pos;
      while (this.pos < this.src.length && KEY_CHAR.test(this.src[this.pos] ?? '')) this.pos++;
      if (this.pos === start) {
        const next = this.src[this.pos];
        if (path.length === 0 && (next === undefined || next === '|' || next === '}' || isSpace(next))) {
          return { kind: 'dot', at };
        }
        throw this.error('a field name must follow "."', this.pos);
      }
      path.push(this.src.slice(start, this.pos));
    }
    return { kind: 'field', path, at };
  }

  private identifier(at: number): Operand {
    while (IDENT_CHAR.test(this.src[this.pos] ?? '')) this.pos++;
    const word = this.src.slice(at, this.pos);
    if (word === 'true' || word === 'false') return { kind: 'literal', value: word === 'true', at };
    if (word === 'nil') return { kind: 'literal', value: null, at };
    if (KEYWORDS.has(word)) throw this.error(`"${word}" actions are not supported in image hints`, at);
    if (Object.hasOwn(FUNCTIONS, word)) return { kind: 'function', name: word as TemplateFunction, at };
    throw this.error(
      `function "${word}" is not defined (image hints may call: ${Object.keys(FUNCTIONS).join(', ')})`,
      at,
    );
  }

  private quoted(at: number): string {
    let out = '';
    let p = at + 1;
    for (;;) {
      const c = this.src[p];
      if (c === undefined || c === '\n') throw this.error('unterminated quoted string', at);
      if (c === '"') break;
      if (c !== '\\') {
        out += c;
        p++;
        continue;
      }
      const e = this.src[p + 1] ?? '';
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        p += 2;
        continue;
      }
      const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : /[0-7]/.test(e) ? 3 : 0;
      const digits =
        e === 'x' || e === 'u' || e === 'U'
          ? this.src.slice(p + 2, p + 2 + width)
          : this.src.slice(p + 1, p + 4);
      const radix = /[0-7]/.test(e) ? 8 : 16;
      const valid = radix === 8 ? /^[0-7]{3}$/ : new RegExp(`^[0-9a-fA-F]{${width}}$`);
      const code = width === 0 || !valid.test(digits) ? NaN : parseInt(digits, radix);
      if (Number.isNaN(code) || code > 0x10ffff) throw this.error(`invalid escape "\\${e}" in string`, p);
      out += String.fromCodePoint(code);
      p += radix === 8 ? 4 : 2 + width;
    }
    this.pos = p + 1;
    return out;
  }

  private checkPipeline(pipeline: readonly Command[]): void {
    pipeline.forEach((command, stage) => {
      const [head, ...args] = command.operands;
      for (const arg of args) {
        if (arg.kind === 'function') throw this.error(`function "${arg.name}" cannot be an argument`, arg.at);
      }
      if (head.kind === 'function') {
        const count = args.length + (stage > 0 ? 1 : 0);
        const { min, max } = FUNCTIONS[head.name];
        if (count < min || count > max) {
          throw this.error(`${head.name} takes ${min} to ${max} arguments, got ${count}`, head.at);
        }
        return;
      }
      if (stage > 0) throw this.error('only a function call can follow "|"', head.at);
      const extra = args[0];
      if (extra !== undefined) throw this.error('only a function takes arguments', extra.at);
    });
  }

  private error(problem: string, at: number): TemplateError {
    return new TemplateError(this.src, `${problem} at ${describePosition(this.src, at)}`);
  }
}
