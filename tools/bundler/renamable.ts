// Which property names the minifier may shorten, derived from src/ itself, so the source can use
// plain, explanatory names on every interface and nobody keeps a list (issue 10). The rename proof
// (renamed-properties.ts) then checks every use of the result, as for any list.
import { relative } from "node:path";
import ts from "typescript";
// The "_" names live with the minifier's options in rollup.config.js, which plain node must load.
import { PRIVATE_PROPERTIES } from "../../rollup.config.js";
import { buildConstant, lineOf, ownDeclaration, untypedFlows } from "./renamed-properties.ts";

/** The JSDoc tag that marks an interface or type whose keys are spelt on the wire (JSON). */
export const JSON_TAG = "json";

export interface RenamePlan {
  /** What terser's mangle.properties.regex gets: the derived names and the "_" names. */
  regex: RegExp;
  /** The derived names, sorted ("_" names not listed). */
  names: string[];
  /** Each member name src/ declares that stays as written, with the first reason found. */
  kept: Map<string, string>;
}

/**
 * The property names to rename: every member name declared in the program's own sources (interface
 * and type-literal members, class members, keys of object literals whose contextual type src/
 * declares), except
 * - names a declaration file in the program also declares as a property (Espruino's API in
 *   src/espruino.d.ts, the standard library): the interpreter spells them, and may call them unasked
 *   (toString, toJSON, length);
 * - members of an interface or type marked with the JSDoc tag `@json`, or inside a declaration so
 *   marked, and members of every src/ type those members hold: JSON on the wire, spelt by the server;
 * - members of src/ types that a declaration file refers to (FirmwareConfig in src/device-config.d.ts:
 *   values made outside the bundle, by the build);
 * - names whose value the type checker sees cross into or out of a position with no declared type
 *   (untypedFlows: JSON.stringify, unknown, any): JSON nobody marked;
 * - names of one character: nothing to gain.
 * Names starting with one "_" are renamed as before, unless a `@json` type or a declaration file
 * declares them; the proof reports one that meets JSON.
 */
export function renamableProperties(program: ts.Program, cwd = process.cwd()): RenamePlan {
  const checker = program.getTypeChecker();
  const kept = new Map<string, string>();
  const keep = (name: string, why: string) => kept.has(name) || kept.set(name, why);
  const candidates = new Set<string>();
  const nameOf = (n: ts.PropertyName | ts.BindingName | undefined) => (n && ts.isIdentifier(n) ? n.text : undefined);

  // Spelt outside: every property a declaration file declares, and what a module or namespace there
  // exports (a property of the module object: CONFIG.board with `import * as CONFIG`).
  const outside = new Map<string, string>();
  // Except the build's constants (buildConstant): rollup binds them directly, never as properties.
  const inModule = (n: ts.Node) => {
    for (let a = n.parent; a; a = a.parent) if (ts.isModuleDeclaration(a)) return !buildConstant(n as ts.Declaration);
    return false;
  };
  const member = (n: ts.Node) => ts.isPropertySignature(n) || ts.isMethodSignature(n) || ts.isPropertyDeclaration(n) ||
    ts.isMethodDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n) || ts.isEnumMember(n) ||
    ts.isPropertyAssignment(n) || ts.isShorthandPropertyAssignment(n) ||
    ((ts.isVariableDeclaration(n) || ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) && inModule(n));
  for (const sf of program.getSourceFiles()) {
    if (!sf.isDeclarationFile) continue;
    const file = relative(cwd, sf.fileName).replace(/^.*\/(node_modules\/)/, "$1");
    const visit = (n: ts.Node): void => {
      if (member(n)) {
        const name = nameOf((n as ts.NamedDeclaration).name as ts.PropertyName) ?? stringName((n as ts.NamedDeclaration).name);
        if (name && !outside.has(name)) outside.set(name, file);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }

  // JSON shapes: @json declarations, and src/ types a declaration file refers to; with what they hold.
  const jsonTypes = new Set<ts.Type>();
  const jsonMembers = new Map<ts.Symbol, string>();
  function markJson(t: ts.Type, why: string): void {
    if (jsonTypes.has(t)) return;
    jsonTypes.add(t);
    if (t.isUnionOrIntersection()) return t.types.forEach((x) => markJson(x, why));
    if (!(t.flags & ts.TypeFlags.Object) || t.getCallSignatures().length) return;
    if (checker.isArrayType(t) || checker.isTupleType(t)) {
      return checker.getTypeArguments(t as ts.TypeReference).forEach((x) => markJson(x, why));
    }
    for (const p of checker.getPropertiesOfType(t)) {
      if (!p.declarations?.some(ownDeclaration)) continue;
      if (!jsonMembers.has(p)) jsonMembers.set(p, why);
      markJson(checker.getTypeOfSymbol(p), why);
    }
    for (const info of checker.getIndexInfosOfType(t)) markJson(info.type, why);
  }
  const hasTag = (n: ts.Node) => ts.getJSDocTags(n).some((t) => t.tagName.text == JSON_TAG);
  /** The nearest declaration from `n` up that is tagged @json. */
  const tagged = (n: ts.Node): ts.Node | undefined => {
    for (let a: ts.Node | undefined = n; a && !ts.isSourceFile(a); a = a.parent) if (hasTag(a)) return a;
    return undefined;
  };
  /** A member's value type, or for a method what it takes and returns. */
  function markValue(n: ts.Node, why: string): void {
    const t = checker.getTypeAtLocation(n);
    for (const sig of t.getCallSignatures()) {
      markJson(sig.getReturnType(), why);
      for (const p of sig.getParameters()) markJson(checker.getTypeOfSymbol(p), why);
    }
    markJson(t, why);
  }
  for (const sf of program.getSourceFiles()) {
    if (!sf.isDeclarationFile || program.isSourceFileDefaultLibrary(sf)) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isTypeReferenceNode(n) || ts.isImportTypeNode(n)) {
        const t = checker.getTypeFromTypeNode(n);
        if (t.getSymbol()?.declarations?.some(ownDeclaration)) markJson(t, "a declaration file (" + lineOf(n, cwd) + ") holds it");
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }

  // The members src/ declares.
  const declared = new Map<string, ts.Node>();
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile) continue;
    const visit = (n: ts.Node): void => {
      let name: string | undefined;
      if ((ts.isPropertySignature(n) || ts.isMethodSignature(n)) ||
        ((ts.isPropertyDeclaration(n) || ts.isMethodDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n)) &&
          ts.isClassLike(n.parent))) {
        name = nameOf(n.name);
        // A tag on the interface or type (or on a declaration around a type literal) makes its
        // members' names JSON; a tag on the member itself, the value it holds or returns.
        const around = tagged(n.parent);
        const at = around ?? (hasTag(n) ? n : undefined);
        if (at) markValue(n, "@json at " + lineOf(at, cwd));
        if (name && around) keep(name, "@json at " + lineOf(around, cwd));
      } else if (ts.isParameter(n) && ts.isConstructorDeclaration(n.parent) && ts.getModifiers(n)?.length) {
        name = nameOf(n.name); // constructor(private name: T)
      } else if ((ts.isPropertyAssignment(n) || ts.isShorthandPropertyAssignment(n) || ts.isMethodDeclaration(n)) &&
        ts.isObjectLiteralExpression(n.parent)) {
        const c = checker.getContextualType(n.parent);
        const p = c && !(c.flags & ts.TypeFlags.Any) && nameOf(n.name) ? checker.getPropertyOfType(c, nameOf(n.name)!) : undefined;
        // Declared by an interface, type or class of src/; not by the literal itself (a generic's
        // inference: Object.assign({ a: 1 }, ...) has no declared type).
        if (p?.declarations?.length && p.declarations.every((d) => ownDeclaration(d) && !ts.isObjectLiteralExpression(d.parent))) {
          name = p.name;
        }
      }
      if (name && !declared.has(name)) declared.set(name, n);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  for (const [p, why] of jsonMembers) keep(p.name, why);

  for (const [name] of declared) {
    if (name.length < 2) keep(name, "one character");
    else if (outside.has(name)) keep(name, "declared by " + outside.get(name));
    else if (!kept.has(name) && !PRIVATE_PROPERTIES.test(name)) candidates.add(name);
  }
  // JSON nobody marked: a value that carries the name where its type is lost, or the reverse.
  for (const f of untypedFlows(program, namesRegex([...candidates], []))) {
    const name = f.property.name;
    if (candidates.delete(name)) keep(name, (f.way == "leaves" ? "leaves its type at " : "enters from no type at ") + lineOf(f.node, cwd));
  }
  const privateKept = [...kept.keys()].filter((n) => PRIVATE_PROPERTIES.test(n) && declared.has(n));
  const names = [...candidates].sort();
  for (const n of [...kept.keys()]) if (!declared.has(n)) kept.delete(n);
  return { regex: namesRegex(names, privateKept), names, kept };
}

function stringName(n: ts.DeclarationName | undefined): string | undefined {
  return n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : undefined;
}

/** ^(_[^_].*|a|b)$ without the "_" names in `keepPrivate`. */
function namesRegex(names: string[], keepPrivate: string[]): RegExp {
  const alt = (xs: string[]) => xs.map((x) => x.replace(/\$/g, "\\$")).join("|");
  const not = keepPrivate.length ? "(?!(?:" + alt(keepPrivate) + ")$)" : "";
  return new RegExp("^" + not + "(?:_[^_].*" + (names.length ? "|" + alt(names) : "") + ")$");
}
