// The minifier renames the properties rollup.config.js lists in MANGLED_PROPERTIES, everywhere in the
// bundle and by name alone. That is only safe for names the firmware owns: a listed name that is also
// spelt by Espruino's API, by a module loaded with require(), or by a JSON payload would be renamed on
// one side only and break on the board without an error. This check proves, with the type checker,
// that every use of a listed name in src/ resolves to a declaration in src/ itself.
import { relative } from "node:path";
import ts from "typescript";

/**
 * One `E build:` line per use of a renamed property that does not belong to src/: a property access
 * or object-literal key whose declaration is in a .d.ts (Espruino, the standard library), on an
 * untyped value (JSON.parse, require of a module), or a key of an object with no declared type
 * (JSON.stringify). Empty when every use is the firmware's own.
 */
export function checkRenamedProperties(program: ts.Program, renamed: RegExp, cwd = process.cwd()): string[] {
  const checker = program.getTypeChecker();
  const problems: string[] = [];
  // The program's own sources (src/, or a test fixture's); declaration files describe the outside.
  const own = (d: ts.Declaration) => !d.getSourceFile().isDeclarationFile;
  const report = (name: ts.Node, text: string, why: string) => {
    const sf = name.getSourceFile();
    const { line, character } = sf.getLineAndCharacterOfPosition(name.getStart());
    problems.push(`E build: ${relative(cwd, sf.fileName)}:${line + 1}:${character + 1} property "${text}" ${why}, ` +
      `but the minifier renames it (MANGLED_PROPERTIES in rollup.config.js): write it as ["${text}"] or ` +
      `take the name out of MANGLED_NAMES`);
  };
  const ownedBy = (symbol: ts.Symbol | undefined) => !!symbol && !!symbol.declarations?.length && symbol.declarations.every(own);

  function visit(node: ts.Node): void {
    if (ts.isPropertyAccessExpression(node) && renamed.test(node.name.text)) {
      const s = checker.getSymbolAtLocation(node.name);
      if (!s) report(node.name, node.name.text, "is read from an untyped value (JSON or a module)");
      else if (!ownedBy(s)) report(node.name, node.name.text, "belongs to " + where(s));
    } else if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node) || ts.isMethodDeclaration(node)) &&
      ts.isObjectLiteralExpression(node.parent) && ts.isIdentifier(node.name) && renamed.test(node.name.text)) {
      // A key is the firmware's own only when the object is going where src/ declared that key.
      const type = checker.getContextualType(node.parent);
      const p = type && !(type.flags & ts.TypeFlags.Any) ? checker.getPropertyOfType(type, node.name.text) : undefined;
      if (!p) report(node.name, node.name.text, "is a key of an object with no declared type (JSON?)");
      else if (!ownedBy(p)) report(node.name, node.name.text, "belongs to " + where(p));
    }
    ts.forEachChild(node, visit);
  }

  function where(s: ts.Symbol): string {
    const d = s.declarations?.find((x) => !own(x));
    return d ? relative(cwd, d.getSourceFile().fileName) : "nothing declared";
  }

  for (const sf of program.getSourceFiles()) {
    if (!sf.isDeclarationFile) visit(sf);
  }
  return problems;
}
