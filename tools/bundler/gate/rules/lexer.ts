// Where Espruino 2v29's lexer reads the bundle differently from a standard one (acorn, whose tokens
// ESLint's parser espree hands us): regex literals, whether a "/" starts a regex or divides, and
// characters outside ASCII (docs/espruino.md §1.4). The lexer facts are from Espruino's
// src/jslex.c (jslLexRegex and the "/" case of jslGetNextToken, 2v29) and were run on its Linux build:
// - a regex literal ends at the first "/" not escaped by "\", even inside a character class; then
//   only the flags g, i, m, y and u are read, any other letter is a separate token;
// - whether "/" starts a regex depends only on the token before it: at the start, after a keyword
//   other than true/false/null/undefined, after a multi-character operator (including "++", "--",
//   "=>", "??") and after one of ! % & * + - / < = > ? [ { } ( , ; : it starts a regex; after
//   anything else (names, numbers, strings, template literals, regexes, ")", "]", ".", "|", "^",
//   "~", and true/false/null/undefined) it divides. It knows nothing of the grammar around it.
// - ESP32 builds have no Unicode: a raw non-ASCII character is read as its UTF-8 bytes.
import type { AST, Rule } from "eslint";
import type * as ESTree from "estree";
import { ESPRUINO, atPositionMarker, defineRule, nameMarker } from "../ast.ts";

const REGEX_FLAGS = "gimyu";

/** Espruino's reserved words (its jslex.h list); a "/" after one starts a regex, except after these four. */
const KEYWORDS = new Set([
  "if", "else", "do", "while", "for", "break", "continue", "function", "return", "var", "let", "const", "this",
  "throw", "try", "catch", "finally", "true", "false", "null", "undefined", "new", "in", "instanceof", "switch",
  "case", "default", "delete", "typeof", "void", "debugger", "class", "extends", "super", "static", "of",
]);
const DIVIDE_AFTER_KEYWORDS = new Set(["true", "false", "null", "undefined"]);
/** Espruino's multi-character operators; every other punctuator character is a token of its own. */
const OPERATORS = new Set([
  "==", "===", "!=", "!==", "<=", "<<", "<<=", ">=", ">>", ">>>", ">>=", ">>>=", "+=", "-=", "++", "--", "*=",
  "/=", "%=", "&=", "&&", "|=", "||", "^=", "=>", "??",
]);
const REGEX_AFTER_CHARS = "!%&*+-/<=>?[{}(,;:";

/** The last token Espruino makes of an acorn punctuator (it has no `**`, `?.`, `...`, `&&=`: they split). */
function lastEspruinoPiece(punctuator: string): string {
  let piece = "";
  for (let i = 0; i < punctuator.length; i += piece.length) {
    piece = punctuator[i]!;
    for (let n = 4; n > 1; n--) {
      const op = punctuator.slice(i, i + n);
      if (op.length === n && OPERATORS.has(op)) {
        piece = op;
        break;
      }
    }
  }
  return piece;
}

/** Whether Espruino's lexer starts a regex at a "/" that follows `prev` (null: the start of the code). */
export function espruinoStartsRegexAfter(prev: AST.Token | null): boolean {
  if (prev === null) return true;
  switch (prev.type) {
    case "Keyword":
    case "Identifier":
    case "Boolean":
    case "Null":
      // Espruino's lexer knows no context: `x.of`, `o.default` and a variable named `let` are keywords too.
      return KEYWORDS.has(prev.value) && !DIVIDE_AFTER_KEYWORDS.has(prev.value);
    case "Punctuator": {
      const piece = lastEspruinoPiece(prev.value);
      return piece.length > 1 || REGEX_AFTER_CHARS.includes(piece);
    }
    case "Template":
      // "`…${": the substitution is lexed on its own, from its start.
      return prev.value.endsWith("${");
    default:
      // Numeric, String, RegularExpression, PrivateIdentifier: a value, then "/" divides.
      return false;
  }
}

/** The token before a "/", as a message names it. */
function describeToken(t: AST.Token): string {
  switch (t.type) {
    case "Identifier":
      if (KEYWORDS.has(t.value)) return `"${t.value}" (a keyword to Espruino's lexer, even as a name)`;
      return `the name "${nameMarker({ type: "Identifier", name: t.value, loc: t.loc } as ESTree.Identifier)}"`;
    case "Numeric":
      return "a number";
    case "String":
      return "a string";
    case "Template":
      return "a template literal";
    case "RegularExpression":
      return "a regex";
    default:
      return `"${t.value}"`;
  }
}

/** A regex as messages show it: whole when short. */
function shortRegex(raw: string): string {
  return raw.length <= 48 ? raw : `${raw.slice(0, 45)}…`;
}

/** The character classes of a regex body with an unescaped "/" in them: their text and the first slash's index. */
function classesWithSlash(body: string): { text: string; slash: number }[] {
  const found: { text: string; slash: number }[] = [];
  let start = -1;
  let slash = -1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") i++;
    else if (start < 0) {
      if (c === "[") start = i;
    } else if (c === "]") {
      if (slash >= 0) found.push({ text: body.slice(start, i + 1), slash });
      start = slash = -1;
    } else if (c === "/" && slash < 0) slash = i;
  }
  return found;
}

/** `[^/]` -> `[^\/]`: every "/" not already escaped gets its backslash. */
function escapeSlashes(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") out += text[i++]! + (text[i] ?? "");
    else out += text[i] === "/" ? "\\/" : text[i];
  }
  return out;
}

const FLAG_FIX: Record<string, string> = {
  s: 'for "s" match any character with [\\s\\S] instead of "."',
  d: 'for "d" take match.index and the match\'s length instead of match.indices',
  v: 'for "v" write the classes without set operations',
};

function codePoints(text: string): string {
  return [...text].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`).join(" ");
}

function byteEscapes(text: string): string {
  return [...Buffer.from(text, "utf8")].map((b) => `\\x${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

/** The first counted quantifier ({n}, {n,} or {n,m}) outside a character class, unescaped: its text and index. */
export function countedQuantifier(body: string): { text: string; at: number } | undefined {
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") i++;
    else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "{" && !inClass) {
      const m = /^\{\d+(,\d*)?\}/.exec(body.slice(i));
      if (m) return { text: m[0], at: i };
    }
  }
  return undefined;
}

const NON_ASCII_RUN = /[^\x00-\x7f]+/g;
const MAX_SHOWN = 6;

export const lexerRules: Record<string, Rule.RuleModule> = {
  regex: defineRule("regex literals Espruino's lexer ends early or whose flags it lacks", (context) => ({
    Literal(node) {
      if (!("regex" in node) || !node.regex) return;
      const raw = context.sourceCode.getText(node);
      const close = raw.lastIndexOf("/");
      const body = raw.slice(1, close);
      const flags = raw.slice(close + 1);
      const classes = classesWithSlash(body);
      if (classes.length > 0) {
        const texts = classes.map((c) => `"${c.text}"`).join(", ");
        const fixed = classes.map((c) => `"${escapeSlashes(c.text)}"`).join(", ");
        context.report({
          loc: context.sourceCode.getLocFromIndex(node.range![0] + 1 + classes[0]!.slash),
          message:
            `regex ${shortRegex(raw)} has an unescaped "/" inside the character class${classes.length > 1 ? "es" : ""} ${texts}: ` +
            `${ESPRUINO}'s lexer ends a regex at the first unescaped "/", even inside [...], so this code is a SyntaxError ` +
            `("Got ']' expected ','") or silently matches something else when it runs: write "\\/" there (${fixed})`,
        });
      }
      const counted = countedQuantifier(body);
      if (counted) {
        context.report({
          loc: context.sourceCode.getLocFromIndex(node.range![0] + 1 + counted.at),
          message:
            `regex ${shortRegex(raw)} has the counted quantifier "${counted.text}", which ${ESPRUINO}'s regex engine does not ` +
            `have: the regex never matches, without an error (measured: /^a{2}$/.test("aa") is false there): ` +
            `repeat the item instead, or test the length apart (s.length == 64 && !/[^0-9a-f]/.test(s))`,
        });
      }
      const bad = [...flags].filter((f) => !REGEX_FLAGS.includes(f));
      if (bad.length > 0) {
        const fixes = bad.map((f) => FLAG_FIX[f]).filter((f) => f !== undefined);
        context.report({
          loc: context.sourceCode.getLocFromIndex(node.range![0] + close + 1 + flags.indexOf(bad[0]!)),
          message:
            `regex ${shortRegex(raw)} has the flag${bad.length > 1 ? "s" : ""} "${bad.join("")}", which ${ESPRUINO} does not have ` +
            `(only g, i, m, y and u): its lexer ends the regex before it and reads "${bad[0]}" as a variable, a ReferenceError ` +
            `or SyntaxError when it runs: remove ${bad.length > 1 ? "them" : "it"}` + (fixes.length ? ` (${fixes.join("; ")})` : ""),
        });
      }
    },
  })),

  "non-ascii": defineRule("characters outside ASCII, which ESP32 builds read as their UTF-8 bytes", (context) => ({
    Program() {
      const sc = context.sourceCode;
      const noUnicode = `${ESPRUINO} on ESP32 has no Unicode`;
      const rewrite = "terser writes escapes back raw unless rollup.config.js sets format.ascii_only: true";
      if (sc.hasBOM) {
        context.report({
          loc: { line: 1, column: 0 },
          message: `the bundle starts with a byte order mark (U+FEFF) at ${atPositionMarker(1, 0)}: ${noUnicode} and reads it as the bytes \\xEF\\xBB\\xBF before the code: write the bundle without a BOM`,
        });
      }
      for (const m of sc.text.matchAll(NON_ASCII_RUN)) {
        const loc = sc.getLocFromIndex(m.index);
        const chars = [...m[0]];
        const shown = chars.slice(0, MAX_SHOWN).join("");
        const more = chars.length > MAX_SHOWN ? "…" : "";
        const what = chars.length === 1 ? `non-ASCII character ${codePoints(shown)} "${shown}"` : `non-ASCII text ${codePoints(shown)}${more} "${shown}${more}"`;
        const bytes = Buffer.byteLength(m[0], "utf8");
        const oneByte = chars.every((c) => c.codePointAt(0)! <= 0xff);
        const single = chars.length === 1 ? chars[0]!.codePointAt(0)! : -1;
        const hex = single.toString(16).toUpperCase();
        const alternative = oneByte
          ? single >= 0
            ? `, or \\x${hex} (\\u00${hex}) for the one byte 0x${hex}`
            : ", or \\xNN for one byte per character"
          : single >= 0
            ? ` (\\u${hex.padStart(4, "0")} would become the one byte 0x${hex.slice(-2).padStart(2, "0")} there)`
            : " (a \\uNNNN escape above \\u00FF keeps only its low byte there)";
        context.report({
          loc,
          message:
            `${what} at ${atPositionMarker(loc.line, loc.column)}: ${noUnicode} and reads ${chars.length === 1 ? "it" : "each character"} ` +
            `as ${chars.length === 1 ? `its ${bytes} UTF-8 bytes` : "its UTF-8 bytes"}, so lengths and comparisons differ from V8: ` +
            `write an escape instead, ${byteEscapes(shown)}${more} for those bytes${alternative}; ${rewrite}`,
        });
      }
    },
  })),

  "regex-or-division": defineRule("a '/' Espruino's lexer reads as a regex where it divides, or the reverse", (context) => ({
    Program() {
      const tokens = context.sourceCode.ast.tokens;
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i]!;
        const isRegex = t.type === "RegularExpression";
        if (!isRegex && !(t.type === "Punctuator" && (t.value === "/" || t.value === "/="))) continue;
        const prev = i > 0 ? tokens[i - 1]! : null;
        if (espruinoStartsRegexAfter(prev) === isRegex) continue;
        const after = prev ? describeToken(prev) : "the start";
        const at = atPositionMarker(t.loc.start.line, t.loc.start.column);
        context.report({
          loc: t.loc,
          message: isRegex
            ? `the regex ${shortRegex(t.value)} at ${at} follows ${after}, after which ${ESPRUINO} reads "/" as a division ` +
              `(it divides after ")", "]", "|", "^", "~", names, numbers, strings and true/false/null/undefined), so this code ` +
              `is a SyntaxError when it runs: give the regex a name at module level (\`const DIGIT = /\\d/;\` … \`DIGIT.test(s)\`), ` +
              `which the minifier keeps as a name, or build it with \`new RegExp("\\\\d")\``
            : `this "${t.value}" at ${at} divides, but it follows ${after}, after which ${ESPRUINO} starts a regex (it does after ` +
              `"}", "++", "--", operators and keywords such as this, typeof and of, even as property names), so the rest of the ` +
              `line is read as a regex: a SyntaxError or a wrong value when it runs: make the left operand end in ")", e.g. ` +
              `\`Number(this) / 2\` or \`Number(c.n++) / 2\` (the minifier keeps the call, but drops plain parentheses)`,
        });
      }
    },
  })),
};
