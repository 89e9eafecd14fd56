// The minifier renames, everywhere in the bundle and by name alone, the property names that
// tools/bundler/renamable.ts derives from src/. That is only safe for names the firmware owns: a renamed
// name that is also spelt by Espruino's API, by a module loaded with require(), or by a JSON payload
// would be renamed on one side only and break on the board without an error. This check proves, with
// the type checker, that every use of a renamed name in src/ resolves to a declaration in src/ itself,
// and that no value whose type declares one reaches, or comes from, a place with no declared type.
import { relative } from "node:path";
import ts from "typescript";

/** A declaration in the program's own sources (src/, or a test fixture's); declaration files describe the outside. */
export const ownDeclaration = (d: ts.Declaration): boolean => !d.getSourceFile().isDeclarationFile || buildConstant(d);

/** An export of "device-config" (src/device-config.d.ts): the build serves it as a plain constant
 *  (rollup.config.js), which rollup binds directly, so `CONFIG.board` is never a property access in
 *  the bundle. */
export function buildConstant(d: ts.Declaration): boolean {
  for (let a: ts.Node | undefined = d.parent; a; a = a.parent) {
    if (ts.isModuleDeclaration(a)) return a.name.text === "device-config";
  }
  return false;
}

/** "src/x.ts:12" */
export function lineOf(node: ts.Node, cwd: string): string {
  const sf = node.getSourceFile();
  return `${relative(cwd, sf.fileName)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
}

/** A renamed property whose value crosses between a declared type and no declared type at `node`. */
export interface UntypedFlow {
  node: ts.Node;
  /** The property (a member src/ declares) whose name would no longer match on the other side. */
  property: ts.Symbol;
  /** "leaves": a typed value goes where the type is lost (JSON.stringify, unknown, any, object,
   *  an index signature); "enters": an untyped value (JSON.parse, any) is given the declared type. */
  way: "leaves" | "enters";
}

const ObjectLiteralMember = (d: ts.Declaration) => ts.isObjectLiteralExpression(d.parent);

/**
 * Every place in the program's own sources where a value carrying a property `renamed` matches
 * (declared in a src/ interface, type literal or class) crosses into or out of a position with no
 * declared type: an argument to JSON.stringify or to a parameter of type unknown, any or object, a
 * return value whose declared type is unknown, `x as unknown`, `for (k in x)`, and the reverse
 * (`JSON.parse(s) as Status`, an `any` given a declared type). There the name is spelt by whatever
 * is on the other side, so renaming it would break. Keys written directly in an object literal are
 * not reported here: checkRenamedProperties reports those that have no declared type.
 */
export function untypedFlows(program: ts.Program, renamed: RegExp): UntypedFlow[] {
  const checker = program.getTypeChecker();
  const out: UntypedFlow[] = [];
  const seen = new Set<string>();
  /** Types whose values reach a position with no declared type. */
  const escaped = new Set<ts.Type>();
  /** Values seen through a narrower type (the members it lacks are out of sight, not out of the
   *  program): target type -> the wider types given to it, and where. They leave with the target. */
  const narrowed = new Map<ts.Type, { s: ts.Type; node: ts.Node }[]>();
  const narrow = (t: ts.Type, s: ts.Type, node: ts.Node) => {
    const list = narrowed.get(t) ?? [];
    if (!list.some((x) => x.s === s)) list.push({ s, node });
    narrowed.set(t, list);
  };
  const ownProperty = (p: ts.Symbol) => !!p.declarations?.length && p.declarations.every(ownDeclaration);
  const isFunction = (t: ts.Type) => checker.getNonNullableType(t).getCallSignatures().length > 0;

  /** any, unknown, object, {} and index-signature-only types: the names inside are not tracked. */
  function untyped(t: ts.Type): boolean {
    if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive)) return true;
    if (t.flags & ts.TypeFlags.TypeParameter) {
      const c = checker.getBaseConstraintOfType(t);
      return !c || c === t || untyped(c);
    }
    if (t.isUnion()) return t.types.some((x) => !(x.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)) && untyped(x));
    return !!(t.flags & ts.TypeFlags.Object) && !t.isIntersection() && checker.getPropertiesOfType(t).length == 0 &&
      t.getCallSignatures().length == 0 && t.getConstructSignatures().length == 0;
  }

  function report(node: ts.Node, property: ts.Symbol, way: UntypedFlow["way"]): void {
    if (!renamed.test(property.name)) return;
    const key = property.name + "@" + lineOf(node, "");
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ node, property, way });
  }

  /** Reports every renamed data property `t` holds, nested ones too (JSON.stringify walks them all). */
  function reportAll(t: ts.Type, node: ts.Node, way: UntypedFlow["way"], visited = new Set<ts.Type>()): void {
    if (visited.has(t)) return;
    visited.add(t);
    if (way == "leaves") escaped.add(t);
    if (t.isUnionOrIntersection()) return t.types.forEach((x) => reportAll(x, node, way, visited));
    if (!(t.flags & ts.TypeFlags.Object) || t.getCallSignatures().length) return;
    if (checker.isArrayType(t) || checker.isTupleType(t)) {
      return checker.getTypeArguments(t as ts.TypeReference).forEach((x) => reportAll(x, node, way, visited));
    }
    for (const p of checker.getPropertiesOfType(t)) {
      if (!ownProperty(p)) continue;
      const pt = checker.getTypeOfSymbol(p);
      // Functions are left out by JSON; a key written in a literal is checkRenamedProperties' to report.
      if (!isFunction(pt) && !p.declarations!.every(ObjectLiteralMember)) report(node, p, way);
      reportAll(pt, node, way, visited);
    }
    for (const info of checker.getIndexInfosOfType(t)) reportAll(info.type, node, way, visited);
  }

  /** A value of type `s` is used as a `t` at `node`. */
  function flow(s: ts.Type, t: ts.Type, node: ts.Node, depth = 0): void {
    if (s === t || depth > 6) return;
    const sUntyped = untyped(s);
    const tUntyped = untyped(t);
    if (tUntyped || sUntyped) {
      if (tUntyped && !sUntyped) reportAll(s, node, "leaves");
      else if (sUntyped && !tUntyped) reportAll(t, node, "enters");
      return;
    }
    if (s.isUnion()) return s.types.forEach((x) => flow(x, t, node, depth + 1));
    const target = checker.getNonNullableType(t);
    if (target.isUnion()) {
      // A member of one of the union's types is tracked by that type.
      if (checker.getPropertiesOfType(s).some((p) => ownProperty(p) && !target.types.some((x) => checker.getPropertyOfType(x, p.name)))) {
        narrow(target, s, node);
      }
      return;
    }
    const ss = s.getCallSignatures();
    const ts_ = target.getCallSignatures();
    if (ss.length || ts_.length) {
      if (!ss.length || !ts_.length) return;
      const [a, b] = [ss[0], ts_[0]];
      // Arguments go from the caller (b's types) into the function (a's), the result back out.
      b.getParameters().forEach((bp, i) => {
        const ap = a.getParameters()[i];
        if (ap) flow(checker.getTypeOfSymbol(bp), checker.getTypeOfSymbol(ap), node, depth + 1);
      });
      return flow(a.getReturnType(), b.getReturnType(), node, depth + 1);
    }
    if ((checker.isArrayType(s) || checker.isTupleType(s)) && (checker.isArrayType(target) || checker.isTupleType(target))) {
      const [x, y] = [checker.getTypeArguments(s as ts.TypeReference), checker.getTypeArguments(target as ts.TypeReference)];
      return x.forEach((e, i) => y[Math.min(i, y.length - 1)] && flow(e, y[Math.min(i, y.length - 1)], node, depth + 1));
    }
    if (!(s.flags & ts.TypeFlags.Object) || !(target.flags & ts.TypeFlags.Object)) return;
    for (const p of checker.getPropertiesOfType(s)) {
      if (!ownProperty(p)) continue;
      const q = checker.getPropertyOfType(target, p.name);
      if (q) flow(checker.getTypeOfSymbol(p), checker.getTypeOfSymbol(q), node, depth + 1);
      else narrow(target, s, node);
    }
  }

  /** Contextual types pass through these to their operands, which are checked themselves. */
  const passesThrough = (n: ts.Node) => ts.isParenthesizedExpression(n) || ts.isConditionalExpression(n) ||
    (ts.isBinaryExpression(n) && [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.AmpersandAmpersandToken,
      ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.CommaToken].includes(n.operatorToken.kind));

  /** Where TypeScript gives an expression the type it is used as (its contextual type). */
  function typedPosition(node: ts.Node): boolean {
    const p = node.parent;
    if (passesThrough(node)) return false;
    if (ts.isCallExpression(p) || ts.isNewExpression(p)) return !!p.arguments?.includes(node as ts.Expression);
    if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isParameter(p) || ts.isPropertyDeclaration(p)) {
      return p.initializer === node;
    }
    if (ts.isBinaryExpression(p)) {
      return passesThrough(p) || (p.operatorToken.kind == ts.SyntaxKind.EqualsToken && p.right === node);
    }
    return ts.isReturnStatement(p) || (ts.isArrowFunction(p) && p.body === node) || ts.isArrayLiteralExpression(p) ||
      ts.isParenthesizedExpression(p) || (ts.isConditionalExpression(p) && p.condition !== node);
  }

  function visit(node: ts.Node): void {
    if (ts.isTypeNode(node)) return;
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
      flow(checker.getTypeAtLocation(node.expression), checker.getTypeAtLocation(node.type), node);
    } else if (ts.isForInStatement(node)) {
      reportAll(checker.getTypeAtLocation(node.expression), node.expression, "leaves");
    } else if (ts.isShorthandPropertyAssignment(node)) {
      // { stats }: the variable's value goes where the object's type puts key "stats".
      const v = checker.getShorthandAssignmentValueSymbol(node);
      const c = checker.getContextualType(node.parent);
      const p = c && !untyped(c) ? checker.getPropertyOfType(c, node.name.text) : undefined;
      if (v && p) flow(checker.getTypeOfSymbolAtLocation(v, node), checker.getTypeOfSymbol(p), node);
    } else if (ts.isExpression(node) && typedPosition(node)) {
      const c = checker.getContextualType(node);
      if (c) flow(checker.getTypeAtLocation(node), c, node);
    }
    ts.forEachChild(node, visit);
  }

  for (const sf of program.getSourceFiles()) {
    if (!sf.isDeclarationFile) visit(sf);
  }
  // A narrower type that leaves takes the wider values given to it along (reported where narrowed).
  const followed = new Set<ts.Type>();
  for (let more = true; more;) {
    more = false;
    for (const [t, list] of narrowed) {
      if (!escaped.has(t) || followed.has(t)) continue;
      followed.add(t);
      more = true;
      for (const { s, node } of list) reportAll(s, node, "leaves");
    }
  }
  return out;
}

/**
 * One `E build:` line per use of a renamed property that does not belong to src/: a property access,
 * destructured name, `"name" in` test or object-literal key whose declaration is in a .d.ts (Espruino, the standard
 * library), on an untyped value (JSON.parse, require of a module), or a key of an object with no
 * declared type (JSON.stringify); and per value that carries one across a position with no declared
 * type (untypedFlows). Empty when every use is the firmware's own.
 */
export function checkRenamedProperties(program: ts.Program, renamed: RegExp, cwd = process.cwd()): string[] {
  const checker = program.getTypeChecker();
  const problems: string[] = [];
  const report = (name: ts.Node, text: string, why: string) => {
    const sf = name.getSourceFile();
    const { line, character } = sf.getLineAndCharacterOfPosition(name.getStart());
    problems.push(`E build: ${relative(cwd, sf.fileName)}:${line + 1}:${character + 1} property "${text}" ${why}, ` +
      `but the minifier renames it (a member src/ declares: tools/bundler/renamable.ts): write it as ["${text}"], ` +
      `or mark the interface or type that declares it @json`);
  };
  const ownedBy = (symbol: ts.Symbol | undefined) => !!symbol && !!symbol.declarations?.length && symbol.declarations.every(ownDeclaration);
  const where = (s: ts.Symbol): string => {
    const d = s.declarations?.find((x) => !ownDeclaration(x));
    return d ? relative(cwd, d.getSourceFile().fileName) : "nothing declared";
  };
  /** A read of `name`, which the checker resolved to `s` (undefined: to nothing). */
  const read = (name: ts.MemberName, s: ts.Symbol | undefined) => {
    if (!s) report(name, name.text, "is read from an untyped value (JSON or a module)");
    else if (!ownedBy(s)) report(name, name.text, "belongs to " + where(s));
  };

  function visit(node: ts.Node): void {
    if (ts.isPropertyAccessExpression(node) && renamed.test(node.name.text)) {
      read(node.name, checker.getSymbolAtLocation(node.name));
    } else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent) && !node.dotDotDotToken) {
      // const { name } = value: a read like value.name.
      const name = node.propertyName ?? node.name;
      if (ts.isIdentifier(name) && renamed.test(name.text)) {
        const type = checker.getTypeAtLocation(node.parent);
        read(name, type.flags & ts.TypeFlags.Any ? undefined : checker.getPropertyOfType(type, name.text));
      }
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind == ts.SyntaxKind.InKeyword &&
      ts.isStringLiteralLike(node.left) && renamed.test(node.left.text)) {
      // "name" in value: the minifier renames the string too.
      const type = checker.getTypeAtLocation(node.right);
      const p = type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown) ? undefined : checker.getPropertyOfType(type, node.left.text);
      if (!p) report(node.left, node.left.text, "is looked up with `in` on a value that does not declare it (JSON?)");
      else if (!ownedBy(p)) report(node.left, node.left.text, "belongs to " + where(p));
    } else if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node) || ts.isMethodDeclaration(node)) &&
      ts.isObjectLiteralExpression(node.parent) && ts.isIdentifier(node.name) && renamed.test(node.name.text)) {
      // A key is the firmware's own only when the object is going where src/ declared that key.
      const type = checker.getContextualType(node.parent);
      let p = type && !(type.flags & ts.TypeFlags.Any) ? checker.getPropertyOfType(type, node.name.text) : undefined;
      // Declared by object literals only (a generic inferred from this one: Object.assign({ a: 1 }, x)): no declared type.
      if (p?.declarations?.every(ObjectLiteralMember)) p = undefined;
      if (!p) report(node.name, node.name.text, "is a key of an object with no declared type (JSON?)");
      else if (!ownedBy(p)) report(node.name, node.name.text, "belongs to " + where(p));
    }
    ts.forEachChild(node, visit);
  }

  for (const sf of program.getSourceFiles()) {
    if (!sf.isDeclarationFile) visit(sf);
  }
  for (const f of untypedFlows(program, renamed)) {
    const d = f.property.declarations![0];
    report(f.node, f.property.name, (f.way == "leaves"
      ? "(" + lineOf(d, cwd) + ") leaves its declared type here for one with no names (unknown, any, object: JSON?)"
      : "(" + lineOf(d, cwd) + ") is read here from a value of no declared type (JSON.parse, any) given that type"));
  }
  return problems;
}
