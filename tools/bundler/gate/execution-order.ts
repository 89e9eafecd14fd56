// Which references can run before the declaration of their binding has run, given that Espruino 2v29
// has no hoisting at all: a `function`, `var`, `let`, `const` or `class` binding exists only once its
// statement has executed (docs/espruino.md §1.3, measured).
//
// Model. Code is grouped in "units": the program and every function (arrows and class members too).
// A unit's statements run in source order. A binding is available from the end of its declaration
// (declarator, function or class declaration). Then:
//  - a reference made directly by the unit that declares the binding, before that point, is an early use;
//  - a reference made inside a nested function to a binding of an enclosing unit is a "need" of that
//    function; a call of a function (through its binding, `f.call`/`f.apply`, `new C()`, `super()`, or an
//    immediately invoked function expression) makes the caller need what the callee needs, so needs
//    flow outwards through calls until they reach the unit that declares the binding, where the call's
//    position decides. Propagation is a worklist over monotonically growing sets in which each need crosses each
//    call edge once: memoised and cycle-safe (recursion, mutual recursion), bounded by
//    bindings x call sites.
//
// Known limits (all err towards silence, except the first, which errs towards reports):
//  - Source order stands in for run order inside a unit: a use textually before the declaration is
//    reported even if a branch or loop means it never runs first; a use after it in another branch is
//    trusted.
//  - Functions that are only passed around run "later": callbacks (including synchronous ones such as
//    `forEach`, `map` or a Promise executor), event handlers, getters/setters, and methods called as
//    `obj.m()` are not followed. A function stored in an object, array or reassigned variable and
//    called from there is not followed either; only a binding's initial function value is known.
//  - `eval`, `with` and `new Function(...)` are not analysed.
//  - Class static blocks and field initialisers are treated as deferred (both are rejected anyway).
//  - Only bindings declared in the bundle are checked; globals are the business of banned-globals.
import type { Scope, SourceCode } from "eslint";
import type * as ESTree from "estree";
import { endOf, parentOf, startOf } from "./ast.ts";

export type CallNode = ESTree.CallExpression | ESTree.NewExpression;

/** How a call is shown in a message: the callee's name, or null for an immediately invoked function. */
export type CallLabel = ESTree.Identifier | null;

export type EarlyUse =
  | { kind: "direct"; reference: ESTree.Identifier; variable: Scope.Variable }
  | {
      kind: "call";
      call: CallNode;
      callee: CallLabel;
      reference: ESTree.Identifier;
      variable: Scope.Variable;
      via: CallLabel[];
    };

/** Calls on the way from a caller to the reference, shared between needs (a persistent list, O(1) to extend). */
interface Via {
  label: CallLabel;
  rest: Via | null;
}

interface Need {
  reference: ESTree.Identifier;
  via: Via | null;
}

function viaList(via: Via | null): CallLabel[] {
  const out: CallLabel[] = [];
  for (let v = via; v !== null; v = v.rest) out.push(v.label);
  return out;
}

interface Unit {
  parent: Unit | null;
  needs: Map<Scope.Variable, Need>;
  /** Needs not yet passed on to callers: each need travels each call edge once. */
  pending: Scope.Variable[];
  callers: CallSite[];
}

interface CallSite {
  node: CallNode;
  unit: Unit;
  label: CallLabel;
  calleeVar: Scope.Variable | null;
  targets: Unit[];
}

const UNIT_SCOPES = new Set(["global", "module", "function", "class-field-initializer", "class-static-block"]);
const MAX_ALIAS_DEPTH = 16;

export function findEarlyUses(sourceCode: SourceCode, calls: readonly CallNode[]): EarlyUse[] {
  const scopeManager = sourceCode.scopeManager;
  const unitByScope = new Map<Scope.Scope, Unit>();
  const functionUnits = new Map<ESTree.Node, Unit>();
  const referenceOf = new Map<ESTree.Node, Scope.Reference>();
  const availableAt = new Map<Scope.Variable, number | null>();

  function unitOf(scope: Scope.Scope): Unit {
    const known = unitByScope.get(scope);
    if (known) return known;
    let unit: Unit;
    if (UNIT_SCOPES.has(scope.type) || scope.upper === null) {
      unit = { parent: scope.upper ? unitOf(scope.upper) : null, needs: new Map(), pending: [], callers: [] };
    } else {
      unit = unitOf(scope.upper);
    }
    unitByScope.set(scope, unit);
    return unit;
  }

  function isAncestor(outer: Unit, inner: Unit): boolean {
    for (let u = inner.parent; u !== null; u = u.parent) if (u === outer) return true;
    return false;
  }

  /** Source offset from which `v` exists, or null when it exists from its scope's entry (params…). */
  function availability(v: Scope.Variable): number | null {
    if (availableAt.has(v)) return availableAt.get(v)!;
    let at: number | null = v.defs.length > 0 ? Infinity : null;
    for (const d of v.defs) {
      const declared =
        d.type === "Variable" ||
        (d.type === "FunctionName" && d.node.type === "FunctionDeclaration") ||
        (d.type === "ClassName" && d.node.type === "ClassDeclaration" && v.scope.type !== "class");
      if (!declared) {
        at = null;
        break;
      }
      at = Math.min(at!, endOf(d.node));
    }
    availableAt.set(v, at);
    return at;
  }

  for (const scope of scopeManager.scopes) {
    const unit = unitOf(scope);
    if (scope.type === "function") functionUnits.set(scope.block, unit);
    for (const ref of scope.references) referenceOf.set(ref.identifier as ESTree.Node, ref);
  }

  // Function values a callee expression can stand for.
  function classTargets(cls: ESTree.Class, depth: number): Unit[] {
    const ctor = cls.body.body.find(
      (m): m is ESTree.MethodDefinition => m.type === "MethodDefinition" && m.kind === "constructor",
    );
    if (ctor) return unitList(functionUnits.get(ctor.value));
    return cls.superClass ? valueTargets(cls.superClass, depth + 1) : [];
  }

  function variableTargets(v: Scope.Variable, depth: number): Unit[] {
    const out: Unit[] = [];
    for (const d of v.defs) {
      if (d.type === "FunctionName" && d.node.type === "FunctionDeclaration") {
        out.push(...unitList(functionUnits.get(d.node)));
      } else if (d.type === "ClassName" && d.node.type === "ClassDeclaration") {
        out.push(...classTargets(d.node, depth));
      } else if (d.type === "Variable" && d.node.init) {
        out.push(...valueTargets(d.node.init, depth + 1));
      }
    }
    return out;
  }

  function valueTargets(expr: ESTree.Node, depth: number): Unit[] {
    if (depth > MAX_ALIAS_DEPTH) return [];
    if (expr.type === "SequenceExpression") return valueTargets(expr.expressions.at(-1)!, depth);
    if (expr.type === "FunctionExpression" || expr.type === "ArrowFunctionExpression")
      return unitList(functionUnits.get(expr));
    if (expr.type === "ClassExpression") return classTargets(expr, depth);
    if (expr.type === "Identifier") {
      const v = referenceOf.get(expr)?.resolved;
      return v ? variableTargets(v, depth) : [];
    }
    return [];
  }

  function callSite(node: CallNode): CallSite | null {
    let callee: ESTree.Node = node.callee;
    while (callee.type === "SequenceExpression") callee = callee.expressions.at(-1)!;
    if (
      node.type === "CallExpression" &&
      callee.type === "MemberExpression" &&
      !callee.computed &&
      callee.property.type === "Identifier" &&
      (callee.property.name === "call" || callee.property.name === "apply")
    ) {
      callee = callee.object;
      while (callee.type === "SequenceExpression") callee = callee.expressions.at(-1)!;
    }
    let targets: Unit[];
    let label: CallLabel = null;
    let calleeVar: Scope.Variable | null = null;
    if (callee.type === "Super") {
      let cls: ESTree.Node | null = parentOf(node);
      while (cls !== null && cls.type !== "ClassDeclaration" && cls.type !== "ClassExpression") cls = parentOf(cls);
      targets = cls?.superClass ? valueTargets(cls.superClass, 0) : [];
      if (cls?.superClass?.type === "Identifier") label = cls.superClass;
    } else {
      targets = valueTargets(callee, 0);
      if (callee.type === "Identifier") {
        label = callee;
        calleeVar = referenceOf.get(callee)?.resolved ?? null;
      }
    }
    if (targets.length === 0) return null;
    return { node, unit: unitOf(sourceCode.getScope(node)), label, calleeVar, targets };
  }

  /** A call through a binding not declared yet throws before the callee runs (reported on its own). */
  function calleeMissing(site: CallSite): boolean {
    const v = site.calleeVar;
    if (!v || unitOf(v.scope) !== site.unit) return false;
    const at = availability(v);
    return at !== null && startOf(site.node) < at;
  }

  const uses: EarlyUse[] = [];

  // 1. Direct references, and the needs of every function.
  for (const scope of scopeManager.scopes) {
    for (const ref of scope.references) {
      const v = ref.resolved;
      const id = ref.identifier as ESTree.Identifier;
      if (!v || v.defs.some((d) => d.name === id)) continue;
      const at = availability(v);
      if (at === null) continue;
      const refUnit = unitOf(ref.from);
      const varUnit = unitOf(v.scope);
      if (refUnit === varUnit) {
        if (startOf(id) < at) uses.push({ kind: "direct", reference: id, variable: v });
      } else if (isAncestor(varUnit, refUnit) && !refUnit.needs.has(v)) {
        refUnit.needs.set(v, { reference: id, via: null });
        refUnit.pending.push(v);
      }
    }
  }

  // 2. Calls we can follow.
  const sites: CallSite[] = [];
  for (const node of calls) {
    const site = callSite(node);
    if (!site) continue;
    sites.push(site);
    for (const t of new Set(site.targets)) t.callers.push(site);
  }

  // 3. Needs flow from callees to callers until nothing changes.
  const queue = new Set<Unit>([...functionUnits.values()].filter((u) => u.pending.length > 0));
  while (queue.size > 0) {
    const callee: Unit = queue.values().next().value!;
    queue.delete(callee);
    const fresh = callee.pending;
    callee.pending = [];
    for (const site of callee.callers) {
      if (calleeMissing(site)) continue;
      const caller = site.unit;
      for (const v of fresh) {
        const varUnit = unitOf(v.scope);
        if (varUnit === caller || caller.needs.has(v) || !isAncestor(varUnit, caller)) continue;
        const need = callee.needs.get(v)!;
        caller.needs.set(v, { reference: need.reference, via: { label: site.label, rest: need.via } });
        caller.pending.push(v);
        queue.add(caller);
      }
    }
  }

  // 4. A call runs its callee's needs at its own position.
  for (const site of sites) {
    if (calleeMissing(site)) continue;
    const reported = new Set<Scope.Variable>();
    for (const target of site.targets) {
      for (const [v, need] of target.needs) {
        if (reported.has(v) || unitOf(v.scope) !== site.unit) continue;
        const at = availability(v);
        if (at === null || startOf(site.node) >= at) continue;
        reported.add(v);
        uses.push({
          kind: "call",
          call: site.node,
          callee: site.label,
          reference: need.reference,
          variable: v,
          via: viaList(need.via),
        });
      }
    }
  }
  return uses;
}

function unitList(unit: Unit | undefined): Unit[] {
  return unit ? [unit] : [];
}
