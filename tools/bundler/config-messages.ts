// Every line the config check prints, ESP-IDF style and ESPHome-like in pointing at the key:
//   E config: <file or env TB_VAR>: <key>: <what is wrong>: <how to fix it>
// One line per problem, all problems at once, and no secret is ever shown: a secret value is
// described by its type and length only, and a JSON syntax error never quotes the text around it.
import { closest, distance } from "fastest-levenshtein";
import type { z } from "zod";
import { unsupportedChip } from "../common/board.ts";
import { CONFIG_KEYS, EXAMPLE_CONFIG_FILE, fields, type Key } from "./config-rules.ts";

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** A problem with one key; `source` is the file's shown name or "env TB_…". */
export function keyProblem(source: string, key: string, text: string): string {
  return `E config: ${source}: ${key}: ${text}`;
}

export function keyWarning(source: string, key: string, text: string): string {
  return `W config: ${source}: ${key}: ${text}`;
}

const copyExample = (label: string) => `copy ${EXAMPLE_CONFIG_FILE} to ${label} and set wifiSsid, wifiPassword, host and accessToken`;

export const fileMessages = {
  notFound: (label: string, fromEnv: string) => `E config: ${label} not found${fromEnv}: ${copyExample(label)}`,
  folder: (label: string, fromEnv: string) => `E config: ${label} is a folder${fromEnv}: point to the JSON file inside it`,
  unreadable: (label: string, code: string) => `E config: ${label}: cannot read the file (${code}): check its permissions`,
  empty: (label: string) => `E config: ${label}: the file is empty: ${copyExample(label)}`,
  notAnObject: (label: string, value: unknown) =>
    `E config: ${label}: expected one JSON object { "key": value, ... }, got ${describe(value, false)}: start from ${EXAMPLE_CONFIG_FILE}`,
};

/** "line L, column C: invalid JSON: <reason>: <usual cause>"; `pos` is the error's offset in `text`. */
export function jsonSyntaxProblem(label: string, line: number, column: number, reason: string, text: string, pos: number): string {
  return `E config: ${label}: line ${line}, column ${column}: invalid JSON: ${reason}: ${jsonHint(text, pos)}`;
}

/** The usual cause of a JSON error at `pos`, judged from the text there. */
function jsonHint(text: string, pos: number): string {
  const rest = text.slice(pos);
  if (rest.startsWith("//") || rest.startsWith("/*")) return "JSON has no comments: remove them";
  if (rest.startsWith("'")) return "JSON strings need double quotes \"...\", not single quotes";
  if (/^[\p{L}_]/u.test(rest)) return "put text values in double quotes, e.g. \"host\": \"tb.example.org\"";
  if (/^[}\]]/.test(rest) && /,\s*$/.test(text.slice(0, pos))) return "remove the comma before the closing bracket (JSON allows none)";
  if (rest.trim() === "") return "the file ends too early: check for a missing } or \"";
  return "check for a missing comma or quote on this line or the one before";
}

/** A key written more than once: JSON.parse and most tools silently keep the last one. */
export function duplicateKey(label: string, key: string, lines: number[]): string {
  const where = lines.length === 2 ? `lines ${lines[0]} and ${lines[1]}` : `lines ${lines.slice(0, -1).join(", ")} and ${lines.at(-1)}`;
  return keyProblem(label, key, `is set ${lines.length === 2 ? "twice" : `${lines.length} times`}, on ${where}, and only the last would count: keep one of them`);
}

export function unknownKey(label: string, k: string): string {
  const near = closest(k.toLowerCase(), CONFIG_KEYS.map((c) => c.toLowerCase()));
  const suggestion = CONFIG_KEYS.find((c) => c.toLowerCase() === near)!;
  const far = distance(k.toLowerCase(), near) > Math.max(3, suggestion.length / 2);
  return `E config: ${label}: unknown key "${k}": did you mean "${suggestion}"?` + (far ? ` (known keys: ${CONFIG_KEYS.join(", ")})` : "");
}

/** What is wrong with the value of `key`, from a schema issue: "expected …, got …: write it as …". */
export function explain(issue: z.core.$ZodIssue, key: Key, value: unknown): string {
  const f = fields[key];
  switch (issue.code) {
    case "custom":
      return issue.message;
    case "invalid_type": {
      if (value === undefined) return `is missing: ${f.missing ?? `add "${key}": ${JSON.stringify(f.example)}`}`;
      const expected = issue.expected === "int" || issue.expected === "number" ? "an integer"
        : issue.expected === "boolean" ? "true or false" : "a string";
      const quotes = typeof value === "string" && expected !== "a string" ? "remove the quotes, " : "";
      return `expected ${expected}, got ${describe(value, !!f.secret)}: ${quotes}write it as "${key}": ${JSON.stringify(f.example)}`;
    }
    case "invalid_value": {
      const options = issue.values.map(String);
      const list = options.map((o) => `"${o}"`).join(", ");
      // A chip of the family that Espruino has no build for is no typo of one it has.
      const noBuild = key === "board" && typeof value === "string" ? unsupportedChip(value) : undefined;
      if (noBuild) return `${JSON.stringify(value)} is not supported: ${noBuild}; use one of ${list} (README: "Board support")`;
      const near = typeof value === "string" ? closest(value, options) : undefined;
      const guess = near && typeof value === "string" && distance(value, near) <= 3 ? `did you mean "${near}"? ` : "";
      return `${describe(value, !!f.secret)} is not allowed: ${guess}use one of ${list}`;
    }
    default:
      return issue.message;
  }
}

/** A value as an error message may show it: secrets only by type and length. */
export function describe(v: unknown, secret: boolean): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list [...]";
  if (typeof v === "string") {
    if (secret) return `a string (the value has ${v.length} characters)`;
    const shown = v.length > 40 ? v.slice(0, 40) + "…" : v;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof v === "number" || typeof v === "boolean") return secret ? `a ${typeof v}` : `the ${typeof v} ${v}`;
  return typeof v === "object" ? "an object {...}" : typeof v;
}

export const envMessages = {
  notInteger: (name: string, key: string, text: string) =>
    `E config: env ${name}: ${key}: ${JSON.stringify(text.slice(0, 40))} is not a whole number: set ${name} to digits only, e.g. ${name}=${fields[key as Key].example}`,
  notBoolean: (name: string, key: string, text: string) =>
    `E config: env ${name}: ${key}: ${JSON.stringify(text.slice(0, 40))} is not a boolean: set ${name} to true or false (1/0, yes/no also work)`,
  typo: (name: string, near: string) => `W config: env ${name} is not a config variable and is ignored: did you mean ${near}?`,
};
