// One-line errors of the flash and monitor tools, ESP-IDF style: `E flash: <what is wrong>: <how to fix it>`.

export class FlashError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "FlashError";
  }
}

export function fail(tag: string, what: string, fix: string): FlashError {
  return new FlashError(`E ${tag}: ${what}: ${fix}`);
}
