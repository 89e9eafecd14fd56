// Colour for ESP-IDF style log lines (`I (1234) tag: msg`), as idf.py monitor shows them.

const COLOURS: Record<string, string> = { E: "\x1b[31m", W: "\x1b[33m", I: "\x1b[32m", D: "\x1b[2m", V: "\x1b[2m" };
const RESET = "\x1b[0m";

/** Colour only for a terminal, unless NO_COLOR (https://no-color.org) or FORCE_COLOR says otherwise. */
export function colourWanted(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false") return true;
  return !!stream.isTTY;
}

/** The level letter of an ESP-IDF log line, or undefined for any other line. */
export function levelOf(line: string): string | undefined {
  return /^([EWIDV]) \(\d+\) /.exec(line)?.[1];
}

export function colourLine(line: string, on: boolean): string {
  const level = on ? levelOf(line) : undefined;
  return level ? COLOURS[level] + line + RESET : line;
}
