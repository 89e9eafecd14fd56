// Type-checks the firmware with the TypeScript compiler API before bundling. Rollup then only
// transpiles (rollup.config.js), so a type error fails the build here, with every message at once,
// and leaves no compiler watcher running behind it.
import { relative } from "node:path";
import ts from "typescript";

/**
 * One line per problem, `E tsc: src/wifi.ts:12:5 TS2322: …`, none when the program type-checks; and
 * the program, for the checks that need the types (renamed-properties.ts).
 */
export function typecheckFirmware(tsconfigPath: string, cwd = process.cwd()): { problems: string[]; program?: ts.Program } {
  const problems: string[] = [];
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => problems.push(formatDiagnostic(d, cwd)),
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfigPath, { noEmit: true }, host);
  if (!parsed) return { problems };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  for (const d of [...parsed.errors, ...ts.getPreEmitDiagnostics(program)]) problems.push(formatDiagnostic(d, cwd));
  return { problems, program };
}

function formatDiagnostic(d: ts.Diagnostic, cwd: string): string {
  const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
  if (!d.file || d.start === undefined) return `E tsc: TS${d.code}: ${text}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `E tsc: ${relative(cwd, d.file.fileName)}:${line + 1}:${character + 1} TS${d.code}: ${text}`;
}
