/**
 * Command-line flags for every `infogan` command: a table of flags per command, one parser over
 * it, and the help text drawn from the same table, so a flag, its default and its description
 * cannot drift apart.
 *
 * Spelling follows the old `train.py` (snake_case) and also accepts kebab-case (`--batch-size`),
 * `--flag=value` as well as `--flag value`, and `--noX` / `--no-X` for switches. Every mistake is
 * a one-line UserError with exit code 2.
 */
import { UserError } from '../util/log';

/** What a flag's value becomes: a switch, text, one of a set of words, or numbers. */
export type FlagKind = 'boolean' | 'string' | 'choice' | 'int' | 'float';

/** A value as read: booleans for switches, number[] for numeric flags of arity other than 1. */
export type FlagValue = boolean | number | string | number[];

/** One flag of a command, bound to a field of that command's config object `C`. */
export interface FlagDef<C> {
  /** snake_case, without dashes: `batch_size`. */
  name: string;
  /** The config field it sets. */
  key: keyof C & string;
  kind: FlagKind;
  /** Values per use for int/float flags: a fixed count, or 'any' for zero or more. Default: 1. */
  arity?: number | 'any';
  /** Placeholder in help and errors: `N`, `W H`, `DIR`. Default: from the kind. */
  metavar?: string;
  /** Smallest number accepted (int/float). */
  min?: number;
  /** Refuse `min` itself, e.g. learning rates must be > 0. Default: false. */
  minExclusive?: boolean;
  /** Largest number accepted (int/float). */
  max?: number;
  /** The words a `choice` flag accepts. */
  choices?: readonly string[];
  /** Help section heading. */
  group: string;
  /** One short phrase for the help text. */
  help: string;
  /** Must be given; help says so instead of showing a default. The command checks it. */
  required?: boolean;
  /** Shown as the default in help where the config's default value would not read well. */
  defaultText?: string;
  /** Turns the value read into the config field's type; may throw a UserError. */
  convert?: (value: FlagValue, flag: string) => unknown;
}

/** A parsed command line: the full config, and which fields the user set explicitly. */
export interface ParsedCommandLine<C> {
  config: C;
  given: Set<keyof C>;
}

/** What the help text needs besides the flag table. */
export interface HelpLayout {
  usage: string;
  /** Paragraphs printed under the usage line. */
  summary: readonly string[];
  /** Group headings in print order; each flag's `group` must be one of them. */
  groups: readonly string[];
  /** Lines printed after the flags. */
  notes?: readonly string[];
}

/** Bounds on a number read from the command line. */
export interface NumberRule {
  integer: boolean;
  min?: number;
  minExclusive?: boolean;
  max?: number;
}

/** How one command-line token was matched to a flag. */
interface FlagUse<C> {
  def: FlagDef<C>;
  /** `--noinfogan`, `--no-infogan`. */
  negated: boolean;
  /** The text after `=`, if the token had one. */
  inline?: string;
  /** The flag as the user typed it, without `=value`. */
  spelled: string;
}

const HELP_WIDTH = 100;
const HELP_COLUMN = 34;

/**
 * Parses `argv` against a command's flag table, starting from a copy of `defaults`.
 * Returns 'help' when `--help` or `-h` appears anywhere; throws a UserError (exit 2) otherwise
 * for any unknown, repeated, malformed or out-of-range flag and for stray arguments.
 */
export function parseCommandLine<C extends object>(
  argv: readonly string[],
  defs: readonly FlagDef<C>[],
  defaults: Readonly<C>,
  command: string,
): ParsedCommandLine<C> | 'help' {
  if (argv.some((token) => token === '--help' || token === '-h')) return 'help';
  const config = structuredClone(defaults) as C;
  const given = new Set<keyof C>();
  for (const [def, value] of readFlags(argv, defs, command)) {
    const converted = def.convert ? def.convert(value, `--${def.name}`) : value;
    (config as Record<string, unknown>)[def.key] = converted;
    given.add(def.key);
  }
  return { config, given };
}

/** Reads every flag in `argv` into its value; see parseCommandLine for the errors. */
export function readFlags<C>(
  argv: readonly string[],
  defs: readonly FlagDef<C>[],
  command: string,
): Map<FlagDef<C>, FlagValue> {
  const values = new Map<FlagDef<C>, FlagValue>();
  let next = 0;
  while (next < argv.length) {
    const use = resolveFlag(argv[next], defs, command);
    if (values.has(use.def)) {
      throw new UserError(`--${use.def.name} given twice; give each flag once`, 2);
    }
    const taken = takeValues(use, argv, next + 1);
    values.set(use.def, convertValues(use, taken.texts));
    next = taken.next;
  }
  return values;
}

function resolveFlag<C>(token: string, defs: readonly FlagDef<C>[], command: string): FlagUse<C> {
  if (!token.startsWith('--') || token === '--') {
    if (/^-[A-Za-z]/.test(token)) throw unknownFlag(token, token.slice(1), defs, command);
    throw new UserError(
      `unexpected argument "${token}": values go right after their flag` +
        ` (see infogan ${command} --help)`,
      2,
    );
  }
  const equals = token.indexOf('=');
  const spelled = equals < 0 ? token : token.slice(0, equals);
  const inline = equals < 0 ? undefined : token.slice(equals + 1);
  const name = spelled.slice(2).replace(/-/g, '_');
  const found = findFlag(name, defs);
  if (found === undefined) throw unknownFlag(spelled, name, defs, command);
  return { ...found, inline, spelled };
}

function findFlag<C>(name: string, defs: readonly FlagDef<C>[]) {
  const def = defs.find((candidate) => candidate.name === name);
  if (def !== undefined) return { def, negated: false };
  const positive = name.replace(/^no_?/, '');
  const negatable = defs.find((d) => d.name === positive && d.kind === 'boolean');
  if (positive === name || negatable === undefined) return undefined;
  return { def: negatable, negated: true };
}

function unknownFlag<C>(
  spelled: string,
  name: string,
  defs: readonly FlagDef<C>[],
  command: string,
): UserError {
  const valued = defs.find((d) => d.name === name.replace(/^no_?/, '') && d.kind !== 'boolean');
  if (valued !== undefined && valued.name !== name) {
    return new UserError(
      `${spelled}: --${valued.name} is not a switch; give it ${metavar(valued)}`,
      2,
    );
  }
  if (name === 'help') return new UserError('--help takes no value; give --help alone', 2);
  const names = defs.flatMap((d) => (d.kind === 'boolean' ? [d.name, `no${d.name}`] : [d.name]));
  const nearest = nearestName(name.replace(/-/g, '_').toLowerCase(), [...names, 'help']);
  const hint = nearest ? `; did you mean --${nearest}?` : ` (see infogan ${command} --help)`;
  return new UserError(`unknown flag ${spelled}${hint}`, 2);
}

/** A token that starts the next flag rather than being a value (negative numbers are values). */
function looksLikeFlag(token: string): boolean {
  return token.startsWith('--') || /^-[A-Za-z]/.test(token);
}

function takeValues<C>(use: FlagUse<C>, argv: readonly string[], start: number) {
  const { def, inline } = use;
  if (def.kind === 'boolean') return { texts: inline === undefined ? [] : [inline], next: start };
  const arity = def.arity ?? 1;
  if (inline !== undefined) {
    const texts = arity === 1 ? [inline] : inline === '' ? [] : inline.split(',');
    checkArity(def, texts.length);
    return { texts, next: start };
  }
  const texts: string[] = [];
  const wanted = arity === 'any' ? Infinity : arity;
  let next = start;
  while (next < argv.length && texts.length < wanted && !looksLikeFlag(argv[next])) {
    texts.push(argv[next++]);
  }
  checkArity(def, texts.length);
  return { texts, next };
}

function checkArity<C>(def: FlagDef<C>, count: number): void {
  const arity = def.arity ?? 1;
  if (arity === 'any' || count === arity) return;
  const what = arity === 1 ? 'a value' : `${arity} values`;
  const got = count === 0 ? '' : `, got ${count}`;
  throw new UserError(`--${def.name} needs ${what} (${metavar(def)})${got}`, 2);
}

function convertValues<C>(use: FlagUse<C>, texts: string[]): FlagValue {
  const { def } = use;
  const flag = `--${def.name}`;
  switch (def.kind) {
    case 'boolean':
      return readSwitch(use, texts[0]);
    case 'string':
      if (texts[0] === '') throw new UserError(`${flag} needs a value (${metavar(def)})`, 2);
      return texts[0];
    case 'choice':
      return readChoice(texts[0], flag, def.choices ?? []);
    default: {
      const rule = { integer: def.kind === 'int', min: def.min, max: def.max };
      const numbers = texts.map((text) => parseNumber(text, flag, { ...rule, ...exclusive(def) }));
      return (def.arity ?? 1) === 1 ? numbers[0] : numbers;
    }
  }
}

function exclusive<C>(def: FlagDef<C>): { minExclusive?: boolean } {
  return def.minExclusive ? { minExclusive: true } : {};
}

function readSwitch<C>(use: FlagUse<C>, text: string | undefined): boolean {
  if (text === undefined) return !use.negated;
  if (use.negated) throw new UserError(`${use.spelled} takes no value`, 2);
  const word = text.toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(word)) return true;
  if (['false', 'no', 'off', '0'].includes(word)) return false;
  const choices = `use ${use.spelled} or --no${use.def.name}`;
  throw new UserError(`${use.spelled} is a switch, got "${text}"; ${choices}`, 2);
}

function readChoice(text: string, flag: string, choices: readonly string[]): string {
  if (choices.includes(text)) return text;
  const nearest = nearestName(text.toLowerCase(), choices);
  const hint = nearest ? `; did you mean ${nearest}?` : '';
  throw new UserError(`${flag} expects ${choices.join(' or ')}, got "${text}"${hint}`, 2);
}

/**
 * Reads a number for `flag`, refusing anything that is not plainly a number (no `12abc`, no hex,
 * no `Infinity`) or out of range; the message names the flag, the rule and the text.
 */
export function parseNumber(text: string, flag: string, rule: NumberRule): number {
  const pattern = rule.integer ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  if (!pattern.test(text.trim())) {
    const what = rule.integer ? 'an integer' : 'a number';
    throw new UserError(`${flag} expects ${what}, got "${text}"`, 2);
  }
  const value = Number(text);
  if (!numberFits(value, rule)) {
    const tooSmall =
      rule.min !== undefined && (rule.minExclusive ? value <= rule.min : value < rule.min);
    const tooLarge = rule.max !== undefined && value > rule.max;
    const unsafe = rule.integer ? !Number.isSafeInteger(value) : !Number.isFinite(value);
    // 1e999 is above no minimum yet still no usable number: say what is wrong with it.
    const range = unsafe && !tooSmall && !tooLarge ? describeRange({ integer: rule.integer })
      : describeRange(rule);
    throw new UserError(`${flag} must be ${range}, got ${text}`, 2);
  }
  return value;
}

/** Whether `value` is a number `rule` accepts (finite, a safe integer if asked, in range). */
export function numberFits(value: unknown, rule: NumberRule): boolean {
  if (typeof value !== 'number') return false;
  if (rule.integer ? !Number.isSafeInteger(value) : !Number.isFinite(value)) return false;
  if (rule.min !== undefined && (rule.minExclusive ? value <= rule.min : value < rule.min)) {
    return false;
  }
  return rule.max === undefined || value <= rule.max;
}

function describeRange(rule: NumberRule): string {
  if (rule.min !== undefined && rule.max !== undefined) {
    return `between ${rule.min} and ${rule.max}`;
  }
  if (rule.min !== undefined) return rule.minExclusive ? `> ${rule.min}` : `>= ${rule.min}`;
  if (rule.max !== undefined) return `<= ${rule.max}`;
  return rule.integer ? 'a safe integer' : 'finite';
}

/**
 * The candidate closest to `word` by edit distance, if it is close enough to be a typo
 * (at most a third of the word's letters, and never fewer than 2; ties go to the longer shared
 * start), else the one candidate that `word` begins, if only one; else undefined.
 */
export function nearestName(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance > limit) continue;
    // Ties go to the longer shared start: "dconv" is nearer deconv than conv.
    const score = distance - sharedStart(word, candidate) / (word.length + 1);
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  if (best !== undefined || word.length < 3) return best;
  const extensions = candidates.filter((candidate) => candidate.startsWith(word));
  return extensions.length === 1 ? extensions[0] : undefined;
}

function sharedStart(a: string, b: string): number {
  let length = 0;
  while (length < a.length && a[length] === b[length]) length++;
  return length;
}

/** Levenshtein distance: the fewest insertions, deletions and substitutions from a to b. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

/** A command's help: usage, summary, then each group's flags with their defaults. */
export function formatHelp<C>(
  layout: HelpLayout,
  defs: readonly FlagDef<C>[],
  defaults: Readonly<C>,
): string {
  const lines = [`Usage: ${layout.usage}`, ''];
  for (const paragraph of layout.summary) lines.push(...wrap(paragraph, HELP_WIDTH, ''), '');
  for (const group of layout.groups) {
    lines.push(`${group}:`);
    for (const def of defs.filter((d) => d.group === group)) {
      lines.push(...helpEntry(def, defaults));
    }
    lines.push('');
  }
  lines.push(...(layout.notes ?? []));
  return lines.join('\n').trimEnd() + '\n';
}

function helpEntry<C>(def: FlagDef<C>, defaults: Readonly<C>): string[] {
  const syntax = `  ${flagSyntax(def, defaults)}`;
  const note = def.required ? 'required' : `default: ${defaultText(def, defaults)}`;
  const text = `${def.help} (${note})`;
  const indent = ' '.repeat(HELP_COLUMN);
  const body = wrap(text, HELP_WIDTH - HELP_COLUMN, indent);
  if (syntax.length >= HELP_COLUMN - 1) return [syntax, ...body];
  return [syntax.padEnd(HELP_COLUMN) + body[0].trimStart(), ...body.slice(1)];
}

function flagSyntax<C>(def: FlagDef<C>, defaults: Readonly<C>): string {
  if (def.kind !== 'boolean') return `--${def.name} ${metavar(def)}`;
  return defaults[def.key] === true ? `--${def.name}, --no${def.name}` : `--${def.name}`;
}

function metavar<C>(def: FlagDef<C>): string {
  if (def.metavar !== undefined) return def.metavar;
  if (def.kind === 'choice') return (def.choices ?? []).join('|');
  return { boolean: '', string: 'VALUE', int: 'N', float: 'X' }[def.kind];
}

function defaultText<C>(def: FlagDef<C>, defaults: Readonly<C>): string {
  if (def.defaultText !== undefined) return def.defaultText;
  const value: unknown = defaults[def.key];
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(' ');
  return value === undefined ? 'none' : String(value);
}

/** Splits text into lines of at most `width` characters (words longer than that stand alone). */
function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, indent + line];
}
