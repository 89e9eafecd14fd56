// Small helpers over ESTree nodes as ESLint hands them to rules (with `parent` and `range` set).
import type { Rule, Scope, SourceCode } from "eslint";
import type * as ESTree from "estree";

export type Node = ESTree.Node;

/** The interpreter every message talks about. */
export const ESPRUINO = "Espruino 2v29";

export function parentOf(node: Node): Node | null {
  return (node as { parent?: Node | null }).parent ?? null;
}

export function startOf(node: Node): number {
  return node.range ? node.range[0] : 0;
}

export function endOf(node: Node): number {
  return node.range ? node.range[1] : 0;
}

export function isFunctionNode(node: Node | null): node is ESTree.Function {
  return (
    node !== null &&
    (node.type === "FunctionDeclaration" ||
      node.type === "FunctionExpression" ||
      node.type === "ArrowFunctionExpression")
  );
}

/** `o.name` or `o["name"]` -> "name"; anything computed from a variable -> null. */
export function memberName(member: ESTree.MemberExpression): string | null {
  const p = member.property;
  if (!member.computed && p.type === "Identifier") return p.name;
  if (member.computed && p.type === "Literal" && typeof p.value === "string") return p.value;
  return null;
}

/** True when `node` is only read as the operand of `typeof`, which never throws for a missing global. */
export function isTypeofOperand(node: Node): boolean {
  const p = parentOf(node);
  return p !== null && p.type === "UnaryExpression" && p.operator === "typeof" && p.argument === node;
}

/** True when `node` is the target of an assignment, ++/-- or `delete` (written, not read). */
export function isWriteTarget(node: Node): boolean {
  const p = parentOf(node);
  if (p === null) return false;
  if (p.type === "AssignmentExpression" && p.left === node) return p.operator === "=";
  if (p.type === "UnaryExpression" && p.operator === "delete") return true;
  return false;
}

/**
 * Message placeholders resolved after linting, through the source map when there is one
 * (see locate.ts): the position of a node, and the original (unminified) name of an identifier.
 */
export function atMarker(node: Node): string {
  const loc = node.loc!.start;
  return `\u27e6at:${loc.line}:${loc.column}\u27e7`;
}

/** Like atMarker, for a bundle position that is not a node's start (line 1-based, column 0-based). */
export function atPositionMarker(line: number, column: number): string {
  return `\u27e6at:${line}:${column}\u27e7`;
}

export function nameMarker(id: ESTree.Identifier): string {
  const loc = id.loc!.start;
  return `\u27e6name:${loc.line}:${loc.column}:${id.name}\u27e7`;
}

/** A gate rule: problem type, one-line messages built by the rule itself. */
export function defineRule(
  description: string,
  create: (context: Rule.RuleContext) => Rule.RuleListener,
  schema: Rule.RuleMetaData["schema"] = [],
): Rule.RuleModule {
  return { meta: { type: "problem", docs: { description }, schema }, create };
}

const globalRefsCache = new WeakMap<SourceCode, Scope.Reference[]>();

/**
 * References that reach the real global object: unresolved ones, plus those ESLint resolved to its
 * built-in ES globals (variables without a declaration). A local binding of the same name is not one.
 */
export function globalReferences(sourceCode: SourceCode): Scope.Reference[] {
  const cached = globalRefsCache.get(sourceCode);
  if (cached) return cached;
  const global = sourceCode.scopeManager.globalScope;
  const refs: Scope.Reference[] = [];
  if (global) {
    refs.push(...global.through);
    for (const v of global.variables) if (v.defs.length === 0) refs.push(...v.references);
  }
  globalRefsCache.set(sourceCode, refs);
  return refs;
}

export function isGlobalIdentifier(sourceCode: SourceCode, id: ESTree.Identifier): boolean {
  return globalReferences(sourceCode).some((r) => r.identifier === id);
}
