// Loading the device configuration: the file (device.config.json, or TB_CONFIG), parsed with
// jsonc-parser in strict JSON mode so that a syntax error comes with its line and column and a
// key written twice is seen (JSON.parse keeps the last silently); then the TB_* environment
// overrides, the schema's defaults and the rules of config-rules.ts. Every problem is collected,
// and all of them are thrown at once as one ConfigError.
import { readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { closest, distance } from "fastest-levenshtein";
import { getNodeValue, parseTree, printParseErrorCode, visit, type Node, type ParseError } from "jsonc-parser";
import { loadBoard } from "../common/board.ts";
import {
  configWarnings, CONFIG_KEYS, DEFAULT_CONFIG_FILE, deviceConfigSchema, envVarFor, EXAMPLE_CONFIG_FILE, fields,
  PLAIN_PORT, plainMqttProblems, credentialProblems, sensorProblems, sensorWarnings, withSensorDefaults,
  type DeviceConfig, type EnvKind, type Key, type KeyNote,
} from "./config-rules.ts";
import {
  ConfigError, duplicateKey, envMessages, explain, fileMessages, jsonSyntaxProblem, keyProblem, keyWarning, unknownKey,
} from "./config-messages.ts";

export interface ConfigOrigin {
  /** The config file the values came from; relative serverCert paths resolve against its folder. */
  file?: string;
  /** Keys whose value came from a TB_* environment variable. */
  envKeys?: Set<string>;
  /** Base for shown file names (default process.cwd()). */
  cwd?: string;
}

interface Checked {
  config?: DeviceConfig;
  problems: string[];
  warnings: string[];
}

/** Validates merged raw values; throws ConfigError listing every problem. */
export function validateDeviceConfig(raw: unknown, origin: ConfigOrigin): DeviceConfig {
  const r = checkDeviceConfig(raw, origin);
  if (!r.config) throw new ConfigError(r.problems);
  return r.config;
}

function checkDeviceConfig(raw: unknown, origin: ConfigOrigin): Checked {
  const cwd = origin.cwd ?? process.cwd();
  const fileLabel = origin.file ? displayPath(origin.file, cwd) : "config";
  const where = (key: string) => (origin.envKeys?.has(key) ? `env ${envVarFor(key)}` : fileLabel);

  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { problems: [fileMessages.notAnObject(fileLabel, raw)], warnings: [] };
  }
  const given = raw as Record<string, unknown>;
  const result = deviceConfigSchema.safeParse(given);
  if (!result.success) {
    const problems: string[] = [];
    const reported = new Set<string>();
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) problems.push(unknownKey(fileLabel, k));
        continue;
      }
      const key = String(issue.path[0]) as Key;
      reported.add(key);
      problems.push(keyProblem(where(key), key, explain(issue, key, given[key])));
    }
    const others = [...credentialProblems(given), ...sensorProblemsAlone(given)];
    for (const p of others) if (!reported.has(p.key)) problems.push(keyProblem(where(p.key), p.key, p.text));
    return { problems, warnings: [] };
  }
  // Sensor pins and the I2C address default per board and per part (board/<chip>.json).
  const board = loadBoard(result.data.board);
  const config: DeviceConfig = {
    ...withSensorDefaults(result.data, board),
    serverCert: resolve(origin.file ? dirname(resolve(cwd, origin.file)) : cwd, result.data.serverCert),
  };
  // Plain MQTT's default port is ThingsBoard's plain one, not the schema's TLS default.
  if (!config.tls && given.port === undefined) config.port = PLAIN_PORT;
  const problems = [...credentialProblems(given), ...plainMqttProblems(config, given), ...sensorProblems(config, given, board)]
    .map((p) => keyProblem(where(p.key), p.key, p.text));
  if (problems.length) return { problems, warnings: [] };
  const isExample = origin.file !== undefined && basename(origin.file) === EXAMPLE_CONFIG_FILE;
  const warnings = [...configWarnings(config, given, isExample), ...sensorWarnings(config, given, board)]
    .map((w) => keyWarning(where(w.key), w.key, w.text));
  return { config, problems: [], warnings };
}

/** The sensor's pin and address problems when another key failed the schema, so that all are reported at
 *  once; none when the sensor keys themselves (or the board) failed it. */
function sensorProblemsAlone(given: Record<string, unknown>): KeyNote[] {
  const keys = ["board", "sensor", "sda", "scl", "pin", "i2cAddress"] as const;
  const sub = deviceConfigSchema.pick({ board: true, sensor: true, sda: true, scl: true, pin: true, i2cAddress: true })
    .safeParse(Object.fromEntries(keys.filter((k) => given[k] !== undefined).map((k) => [k, given[k]])));
  if (!sub.success) return [];
  const board = loadBoard(sub.data.board);
  return sensorProblems(withSensorDefaults(sub.data, board), given, board);
}

function displayPath(file: string, cwd: string): string {
  const abs = resolve(cwd, file);
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs;
}

export interface LoadOptions {
  /** Config file; default env TB_CONFIG, else device.config.json; relative to cwd. */
  file?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/**
 * Reads the config file, applies TB_* overrides and validates; throws ConfigError listing every problem.
 * A relative serverCert, from the file or from TB_SERVER_CERT, is resolved against the config file's
 * folder (as ESPHome does), so a build gives the same result from any working directory.
 */
export function loadDeviceConfig(opts: LoadOptions = {}): { config: DeviceConfig; file: string; warnings: string[] } {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const env = opts.env ?? process.env;
  const fromEnv = opts.file === undefined && env.TB_CONFIG ? " (from TB_CONFIG)" : "";
  const file = resolve(cwd, opts.file ?? (env.TB_CONFIG || DEFAULT_CONFIG_FILE));
  const label = displayPath(file, cwd);

  const overrides: Record<string, unknown> = {};
  const envProblems: string[] = [];
  for (const key of Object.keys(fields) as Key[]) {
    const name = envVarFor(key);
    const text = env[name];
    if (text === undefined) continue;
    const parsed = parseEnv(text, fields[key].env, name, key);
    if (typeof parsed === "object") envProblems.push(parsed.problem);
    else overrides[key] = parsed;
  }
  let read: ConfigText;
  try {
    read = readConfigFile(file, label, fromEnv);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError([...e.problems, ...envProblems]);
    throw e;
  }
  const raw = { ...read.values, ...overrides };
  const envKeys = new Set(Object.keys(overrides));
  // A key set twice in the file is an error even when TB_* overrides it: the file itself is wrong.
  const duplicates = read.duplicates.map((d) => duplicateKey(label, d.key, d.lines));
  const checked = checkDeviceConfig(raw, { file, envKeys, cwd });
  const problems = [...duplicates, ...checked.problems, ...envProblems];
  if (problems.length > 0 || !checked.config) throw new ConfigError(problems);
  return { config: checked.config, file, warnings: [...checked.warnings, ...envTypos(env)] };
}

interface ConfigText {
  values: Record<string, unknown>;
  /** Top-level keys written more than once, with the 1-based line of each. */
  duplicates: Array<{ key: string; lines: number[] }>;
}

// Strict JSON: jsonc-parser otherwise also takes comments and trailing commas.
const STRICT_JSON = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };

function readConfigFile(file: string, label: string, fromEnv: string): ConfigText {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ConfigError([fileMessages.notFound(label, fromEnv)]);
    if (code === "EISDIR") throw new ConfigError([fileMessages.folder(label, fromEnv)]);
    throw new ConfigError([fileMessages.unreadable(label, code ?? String(e))]);
  }
  text = text.replace(/^\uFEFF/, "");
  if (text.trim() === "") throw new ConfigError([fileMessages.empty(label)]);
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, STRICT_JSON);
  if (errors.length > 0 || !tree) throw new ConfigError([syntaxProblem(text, label)]);
  const value: unknown = getNodeValue(tree);
  if (tree.type !== "object") throw new ConfigError([fileMessages.notAnObject(label, value)]);
  return { values: value as Record<string, unknown>, duplicates: duplicateKeys(tree, text) };
}

/** The top-level properties of `tree` whose key appears more than once, in the order first seen. */
function duplicateKeys(tree: Node, text: string): ConfigText["duplicates"] {
  const seen = new Map<string, number[]>();
  for (const property of tree.children ?? []) {
    const keyNode = property.children?.[0];
    if (!keyNode) continue;
    const key = String(keyNode.value);
    const line = text.slice(0, keyNode.offset).split(/\r\n|\r|\n/).length;
    seen.set(key, [...(seen.get(key) ?? []), line]);
  }
  return [...seen].filter(([, lines]) => lines.length > 1).map(([key, lines]) => ({ key, lines }));
}

/**
 * The first syntax error as one line. The parser gives its position (line and column) and which
 * bracket it was inside, which the wording of a missing comma or a cut-off file depends on.
 */
function syntaxProblem(text: string, label: string): string {
  const open: string[] = [];
  // jsonc-parser's ParseErrorCode is a const enum, which isolated modules cannot read: go by its names.
  let first: { code: string; offset: number; length: number; line: number; column: number; inside?: string } | undefined;
  visit(text, {
    onObjectBegin: () => { open.push("}"); },
    onObjectEnd: () => { open.pop(); },
    onArrayBegin: () => { open.push("]"); },
    onArrayEnd: () => { open.pop(); },
    onError: (code, offset, length, line, column) => {
      first ??= { code: printParseErrorCode(code), offset, length, line: line + 1, column: column + 1, inside: open.at(-1) };
    },
  }, STRICT_JSON);
  // parseTree found an error, so visit, the same parser, finds it too.
  const e = first!;
  // A string error is reported at the string's start: point at the offending character itself.
  let pos = e.offset;
  if (e.code === "InvalidCharacter" || e.code === "InvalidEscapeCharacter" || e.code === "InvalidUnicode") {
    const token = text.slice(e.offset, e.offset + e.length);
    const at = e.code === "InvalidCharacter" ? token.search(/[\x00-\x1f]/) : token.search(/\\(?:[^"\\/bfnrtu]|u(?![0-9a-fA-F]{4}))/);
    if (at > 0) pos += at;
  }
  const before = text.slice(0, pos).split(/\r\n|\r|\n/);
  const line = pos === e.offset ? e.line : before.length;
  const column = pos === e.offset ? e.column : before[before.length - 1]!.length + 1;
  return jsonSyntaxProblem(label, line, column, syntaxReason(e.code, e.inside, pos >= text.trimEnd().length), text, pos);
}

/** The parser's error code in words (V8's JSON.parse wording where it has one). */
function syntaxReason(code: string, inside: string | undefined, atEnd: boolean): string {
  if (atEnd && code !== "UnexpectedEndOfString" && code !== "UnexpectedEndOfComment") {
    return "Unexpected end of JSON input";
  }
  switch (code) {
    case "CommaExpected":
      return inside === "]" ? "Expected ',' or ']' after array element" : "Expected ',' or '}' after property value";
    case "ColonExpected": return "Expected ':' after property name";
    case "PropertyNameExpected": return "Expected double-quoted property name";
    case "ValueExpected": return "Expected a value";
    case "CloseBraceExpected": return "Expected ',' or '}' after property value";
    case "CloseBracketExpected": return "Expected ',' or ']' after array element";
    case "EndOfFileExpected": return "Unexpected non-whitespace character after JSON";
    case "InvalidCommentToken": return "Unexpected token (a comment)";
    case "UnexpectedEndOfComment": return "Unterminated comment";
    case "UnexpectedEndOfString": return "Unterminated string";
    case "UnexpectedEndOfNumber":
    case "InvalidNumberFormat": return "Invalid number";
    case "InvalidUnicode": return "Bad Unicode escape";
    case "InvalidEscapeCharacter": return "Bad escaped character";
    case "InvalidCharacter": return "Bad control character in string literal";
    default: return "Unexpected token";
  }
}

function parseEnv(text: string, kind: EnvKind, name: string, key: string): string | number | boolean | { problem: string } {
  const s = text.trim();
  if (kind === "integer") {
    if (/^[+-]?\d+$/.test(s)) return Number(s);
    return { problem: envMessages.notInteger(name, key, text) };
  }
  if (kind === "boolean") {
    if (/^(true|1|yes|on)$/i.test(s)) return true;
    if (/^(false|0|no|off)$/i.test(s)) return false;
    return { problem: envMessages.notBoolean(name, key, text) };
  }
  return text;
}

/** A TB_* variable one typo away from a real one is probably meant as that one. */
function envTypos(env: Record<string, string | undefined>): string[] {
  const known = CONFIG_KEYS.map(envVarFor);
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith("TB_") || known.includes(name) || name === "TB_CONFIG") continue;
    const near = closest(name, known);
    if (distance(name, near) <= 2) warnings.push(envMessages.typo(name, near));
  }
  return warnings;
}
