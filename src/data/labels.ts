/**
 * Labels for an image folder, found from what real data sets ship with:
 * - CelebA's `list_attr_celeba.txt` (40 attributes, +1/-1, one row per file name);
 * - a class per file name (`file.jpg class` lines, as CelebA's `identity_CelebA.txt`), given by
 *   --labels;
 * - identity from sub-folder names (LFW, Extended Yale B);
 * - Yale B's light azimuth and elevation in file names (`yaleB11_P00A+000E+20.pgm`).
 * Labels are for evaluation and for semi-supervised training (--labeled); a folder without any
 * trains just the same.
 */
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { type Logger, UserError } from '../util/log';
import type { DatasetLabels } from './types';

/** CelebA's attribute list's file name. */
export const ATTRIBUTE_FILE = 'list_attr_celeba.txt';

/** CelebA's attribute list in `folder` or its parent (celeba-10k has it above the images). */
export function findAttributeFile(folder: string): string | undefined {
  return [folder, path.dirname(folder)]
    .map((dir) => path.join(dir, ATTRIBUTE_FILE))
    .find((file) => fs.existsSync(file));
}

/** A parsed attribute list: names, and one row of +1/-1 values per file name. */
export interface AttributeTable {
  names: string[];
  /** Row of each file name in `values`. */
  rowOf: Map<string, number>;
  /** [rows, names.length] values, +1 or -1. */
  values: Int8Array;
  /** The row count the file's first line claims (CelebA's says 202599 even when cut short). */
  declaredRows: number;
}

/**
 * Parses a CelebA-style attribute list: first line a row count, second the attribute names, then
 * `file.jpg v1 v2 ...` with each value +1 or -1. Throws a UserError naming the file and line.
 */
export function readAttributeFile(file: string): AttributeTable {
  const bytes = fs.readFileSync(file);
  requireUtf8(file, bytes);
  return parseAttributeList(file, bytes);
}

/** The mark some editors (Notepad) write before UTF-8 text; it is not part of the first line. */
const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

/** Where the text of a label file starts: after its byte-order mark, if it has one. */
function textStart(bytes: Buffer): number {
  return bytes.subarray(0, 3).equals(BYTE_ORDER_MARK) ? 3 : 0;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A file name as lists and folders are matched by: NFC, so a list written where names are
 * composed (ü as one character) finds images named where they are decomposed (u and a
 * combining diaeresis, as macOS's HFS+ stores them), and the other way round.
 */
function nameKey(name: string): string {
  return NON_ASCII.test(name) ? name.normalize('NFC') : name;
}

/** Runs of ASCII white space, which alone separate fields: other spaces belong to a name. */
const ASCII_SPACES = /[ \t\r\f\v]+/;
const OUTER_ASCII_SPACES = /^[ \t\r\f\v]+|[ \t\r\f\v]+$/g;

/** `text` without ASCII white space (spaces, tabs, carriage returns) at either end. */
function trimSpaces(text: string): string {
  return text.replace(OUTER_ASCII_SPACES, '');
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const ONE = 0x31;
const PLUS = 0x2b;
const MINUS = 0x2d;

/**
 * The attribute list in `bytes` (UTF-8), scanned byte by byte in place: CelebA's full list has
 * 202,599 rows of 40 values, and a string per line or per value would cost more than the parsing.
 * Bytes can be compared with ASCII here because every byte of a UTF-8 character beyond ASCII is
 * 0x80 or more, so none of them reads as a space, a newline, a sign or a digit.
 */
function parseAttributeList(file: string, bytes: Buffer): AttributeTable {
  const start = textStart(bytes);
  const lineEnds: number[] = [];
  for (let at = bytes.indexOf(NEWLINE, start); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) {
    lineEnds.push(at);
  }
  lineEnds.push(bytes.length);
  const startOf = (i: number) => (i === 0 ? start : lineEnds[i - 1] + 1);
  const line = (i: number) => bytes.toString('utf8', startOf(i), lineEnds[i]);
  const declaredRows = Number(line(0));
  const names = trimSpaces(lineEnds.length > 1 ? line(1) : '').split(ASCII_SPACES).filter(Boolean);
  if (!Number.isInteger(declaredRows) || names.length === 0) {
    throw new UserError(`${file}: expected a row count and a line of attribute names first`);
  }
  const width = names.length;
  const rowOf = new Map<string, number>();
  const values = new Int8Array(Math.max(0, lineEnds.length - 2) * width);
  const lineOfRow = new Int32Array(Math.max(0, lineEnds.length - 2));
  for (let i = 2; i < lineEnds.length; i++) {
    const name = parseRow(bytes, startOf(i), lineEnds[i], values, rowOf.size * width, width);
    if (typeof name === 'string') {
      const key = nameKey(name);
      const earlier = rowOf.get(key);
      if (earlier !== undefined) {
        throw new UserError(`${file}:${i + 1}: a second row for ${name} (the first is line ` +
          `${lineOfRow[earlier]}); give each image one row`);
      }
      lineOfRow[rowOf.size] = i + 1;
      rowOf.set(key, rowOf.size);
    } else if (name !== undefined) {
      throw new UserError(`${file}:${i + 1}: ${name.problem}`);
    }
  }
  return { names, rowOf, values: values.subarray(0, rowOf.size * width), declaredRows };
}

function isSpace(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === CR;
}

/**
 * Reads the row `name v1 v2 ...` in bytes[start, end) into `out` at `offset`; returns the name,
 * undefined for a blank line, or what is wrong.
 */
function parseRow(
  bytes: Buffer,
  start: number,
  end: number,
  out: Int8Array,
  offset: number,
  width: number,
): string | undefined | { problem: string } {
  let i = start;
  while (i < end && isSpace(bytes[i])) i++;
  if (i === end) return undefined;
  const nameStart = i;
  while (i < end && !isSpace(bytes[i])) i++;
  const name = bytes.toString('utf8', nameStart, i);
  let count = 0;
  for (;;) {
    while (i < end && isSpace(bytes[i])) i++;
    if (i === end) break;
    const tokenStart = i;
    while (i < end && !isSpace(bytes[i])) i++;
    const value = attributeValue(bytes, tokenStart, i);
    if (value === 0) {
      const token = bytes.toString('utf8', tokenStart, i);
      return { problem: `attribute value '${token}' is not 1 or -1` };
    }
    if (count < width) out[offset + count] = value;
    count++;
  }
  return count === width ? name : { problem: `${count} values, expected ${width}` };
}

/** 1 for the token bytes[start, end) `1` or `+1`, -1 for `-1`, 0 for anything else. */
function attributeValue(bytes: Buffer, start: number, end: number): number {
  if (bytes[end - 1] !== ONE || end - start > 2) return 0;
  if (end - start === 1) return 1;
  return bytes[start] === PLUS ? 1 : bytes[start] === MINUS ? -1 : 0;
}

/** A class list: one class name per file name. */
export interface ClassTable {
  classOf: Map<string, string>;
}

/**
 * Refuses text that is not UTF-8 (a list saved as Latin-1, say), naming its first such line: read
 * anyway, each such character would become U+FFFD, names would match nothing and names that
 * differ only there would merge.
 */
function requireUtf8(what: string, bytes: Buffer): void {
  if (isUtf8(bytes)) return;
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const end = bytes.indexOf(NEWLINE, start);
    const stop = end < 0 ? bytes.length : end;
    if (!isUtf8(bytes.subarray(start, stop))) break;
    start = stop + 1;
  }
  throw new UserError(`${what}:${line}: not UTF-8 text; save the list as UTF-8`);
}

/**
 * Reads a --labels file of either kind: a CelebA-style attribute list (a row count, a line of
 * names, then `file v1 v2 ...`) or a class list (`file class` on every line). Both are UTF-8, as
 * the folder's file names are read, and a byte-order mark before the first line is skipped.
 */
export function readLabelFile(file: string): AttributeTable | ClassTable {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UserError(`--labels ${file}: cannot read it (${code}); expected a CelebA ` +
      'attribute list or a "file class" list', 2);
  }
  requireUtf8(`--labels ${file}`, bytes);
  const start = textStart(bytes);
  if (/^\d+$/.test(firstLine(bytes, start))) return parseAttributeList(file, bytes);
  const lines = bytes.toString('utf8', start).split('\n');
  const classOf = new Map<string, string>();
  const lineOf = new Map<string, number>();
  for (const [i, line] of lines.entries()) {
    const fields = classLine(line);
    if (fields === null) continue;
    if (fields.length !== 2) {
      throw new UserError(`--labels ${file}:${i + 1}: expected "file class" (a class per image; ` +
        'a tab before the class when the file name has spaces) or a CelebA attribute list (a ' +
        'row count, the names, then "file 1 -1 ..." rows)');
    }
    const [name, label] = [nameKey(fields[0].replace(/^(\.\/)+/, '')), fields[1]];
    const earlier = classOf.get(name);
    if (earlier !== undefined && earlier !== label) {
      throw new UserError(`--labels ${file}:${i + 1}: ${name} is "${label}" here but ` +
        `"${earlier}" on line ${lineOf.get(name)}; give each image one class`);
    }
    classOf.set(name, label);
    lineOf.set(name, i + 1);
  }
  if (classOf.size === 0) throw new UserError(`--labels ${file}: no labels in it`);
  return { classOf };
}

/**
 * The fields of one class-list line: split at its last tab when it has one (so a file name may hold
 * spaces), else at runs of spaces; null for a blank line. A no-break or ideographic space is part
 * of the name it is in, as in attribute lists.
 */
function classLine(line: string): string[] | null {
  const trimmed = trimSpaces(line);
  if (trimmed === '') return null;
  const tab = trimmed.lastIndexOf('\t');
  if (tab >= 0) return [trimSpaces(trimmed.slice(0, tab)), trimSpaces(trimmed.slice(tab + 1))];
  return trimmed.split(ASCII_SPACES);
}

/** The first non-blank line of the text from bytes[start], trimmed; '' when there is none. */
function firstLine(bytes: Buffer, start: number): string {
  for (let from = start; from < bytes.length; ) {
    const end = bytes.indexOf(NEWLINE, from);
    const line = trimSpaces(bytes.toString('utf8', from, end < 0 ? bytes.length : end));
    if (line !== '' || end < 0) return line;
    from = end + 1;
  }
  return '';
}

/**
 * Classes aligned with `files`, numbered in the natural order of their names (2 before 10); -1 for
 * a file the list has no class for (a partly labelled set, as for --labeled). A list names an image
 * by its path relative to the data folder, or by its file name alone where no other image has that
 * name. A list that labels none of the files is refused, naming one; `unused` counts the list's
 * names that match no image given (a subset, or a typo), with a few of them.
 */
export function alignClasses(table: ClassTable, files: string[], source: string):
  { names: string[]; index: Int32Array; labelled: number; unused: { count: number;
    examples: string[] } } {
  const keys = files.map(nameKey);
  const sharing = new Map<string, string[]>();
  keys.forEach((key, i) => {
    const base = path.posix.basename(key);
    const same = sharing.get(base);
    if (same) same.push(files[i]);
    else sharing.set(base, [files[i]]);
  });
  const used = new Set<string>();
  const perFile = keys.map((key) => {
    const byPath = table.classOf.get(key);
    if (byPath !== undefined) {
      used.add(key);
      return byPath;
    }
    const base = path.posix.basename(key);
    const byName = table.classOf.get(base);
    if (byName === undefined) return undefined;
    const same = sharing.get(base)!;
    if (same.length > 1) {
      throw new UserError(`--labels ${source}: "${base}" could be any of ${same.length} images ` +
        `(${same.slice(0, 3).join(', ')}${same.length > 3 ? ', ...' : ''}); name them by their ` +
        'paths relative to the data folder');
    }
    used.add(base);
    return byName;
  });
  const labelled = perFile.filter((name) => name !== undefined).length;
  if (labelled === 0 && files.length > 0) {
    const listed = table.classOf.keys().next().value;
    throw new UserError(`--labels ${source} has a class for none of the ${files.length} images ` +
      `(e.g. ${files[0]}; the list names ${listed}); its lines should read "file class" with ` +
      'the image\'s path relative to the data folder, or its file name');
  }
  const unusedNames = [...table.classOf.keys()].filter((name) => !used.has(name));
  const collator = new Intl.Collator('en', { numeric: true });
  const names = [...new Set(perFile.filter((name) => name !== undefined))].sort(collator.compare);
  const lookup = new Map(names.map((name, i) => [name, i]));
  const index = Int32Array.from(perFile, (name) => (name === undefined ? -1 : lookup.get(name)!));
  return { names, index, labelled,
    unused: { count: unusedNames.length, examples: unusedNames.slice(0, 3) } };
}

/** Attribute rows aligned with `files` (matched by base name); 0 for files with no row. */
export function alignAttributes(
  table: AttributeTable,
  files: string[],
): { values: Int8Array; matched: number } {
  const width = table.names.length;
  const values = new Int8Array(files.length * width);
  let matched = 0;
  files.forEach((file, i) => {
    const row = table.rowOf.get(nameKey(path.posix.basename(file)));
    if (row === undefined) return;
    values.set(table.values.subarray(row * width, (row + 1) * width), i * width);
    matched++;
  });
  return { values, matched };
}

/** Identity classes from sub-folder names, when every image sits in one and there are 2 or more. */
export function folderClasses(files: string[]): { names: string[]; index: Int32Array } | undefined {
  const folders = files.map((file) => path.posix.dirname(file));
  if (folders.some((folder) => folder === '.')) return undefined;
  const names = [...new Set(folders)].sort();
  if (names.length < 2) return undefined;
  const lookup = new Map(names.map((name, i) => [name, i]));
  return { names, index: Int32Array.from(folders, (folder) => lookup.get(folder) as number) };
}

const LIGHT_DIRECTION = /A([+-]\d{3})E([+-]\d{2})/;

/**
 * Yale B light direction per file, [count, 2] degrees; NaN for a file whose name has none (the
 * ambient shots), so evaluation leaves just those images out of the light labels.
 */
export function lightDirections(files: string[]): {
  values: Float32Array; missing: number; example: string } {
  const values = new Float32Array(files.length * 2);
  let missing = 0;
  let example = '';
  files.forEach((file, i) => {
    const match = LIGHT_DIRECTION.exec(path.posix.basename(file));
    if (!match) {
      if (missing++ === 0) example = file;
      values[2 * i] = values[2 * i + 1] = NaN;
      return;
    }
    values[2 * i] = Number(match[1]);
    values[2 * i + 1] = Number(match[2]);
  });
  return { values, missing, example };
}

/**
 * Every label the folder offers for the loaded `files`, each logged in one line. `labelFile` is
 * an attribute list or a class list (`read` from it already, if given); a class list takes the
 * place of sub-folder identities.
 */
export function folderLabels(
  files: string[],
  labelFile: string | undefined,
  log: Logger,
  read?: AttributeTable | ClassTable,
): DatasetLabels | undefined {
  const labels: DatasetLabels = {};
  const table = read ?? (labelFile === undefined ? undefined : readLabelFile(labelFile));
  if (table && 'names' in table) {
    const attributes = attributeLabels(table, labelFile!, files, log);
    if (attributes) labels.attributes = attributes;
  }
  if (table && 'classOf' in table) {
    const { names, index, labelled, unused } = alignClasses(table, files, labelFile!);
    labels.classes = { names, index };
    log.info(`labels: ${names.length} ${names.length === 1 ? 'class' : 'classes'} for ` +
      `${labelled === files.length ? 'every image' : `${labelled} of ${files.length} images`} ` +
      `from ${labelFile}` + (unused.count === 0 ? '' : `; ${unused.count} of its ` +
      `${table.classOf.size} names ${unused.count === 1 ? 'matches' : 'match'} no image loaded ` +
      `(e.g. ${unused.examples.join(', ')})`));
  } else {
    const classes = folderClasses(files);
    if (classes) {
      labels.classes = classes;
      log.info(`labels: ${classes.names.length} identities from sub-folder names`);
    }
  }
  const light = lightDirections(files);
  if (light.missing < files.length) {
    labels.continuous = { names: ['light_azimuth', 'light_elevation'], values: light.values };
    log.info('labels: light azimuth and elevation (degrees) from file names' + (light.missing === 0
      ? '' : `; ${light.missing} of ${files.length} names ` +
        `${light.missing === 1 ? 'has' : 'have'} no A+000E+00 part and are left ` +
        `out of them (e.g. ${light.example})`));
  }
  return labels.attributes || labels.classes || labels.continuous ? labels : undefined;
}

function attributeLabels(table: AttributeTable, file: string, files: string[], log: Logger):
  DatasetLabels['attributes'] {
  const { values, matched } = alignAttributes(table, files);
  const declared =
    table.declaredRows === table.rowOf.size
      ? ''
      : ` (its header counts ${table.declaredRows} rows, it holds ${table.rowOf.size})`;
  log.info(
    `labels: ${table.names.length} attributes for ${matched} of ${files.length} images from ` +
      `${file}${declared}${matched === 0 ? '; none match, so none are used' : ''}`,
  );
  return matched === 0 ? undefined : { names: table.names, values };
}
