// One-line errors of the host tools, ESP-IDF style: `E <tool>: <what is wrong>: <how to fix it>`.

export class ToolError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "ToolError";
  }
}

export function fail(tag: string, what: string, fix: string): ToolError {
  return new ToolError(`E ${tag}: ${what}: ${fix}`);
}
