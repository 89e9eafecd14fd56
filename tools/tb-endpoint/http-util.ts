// What the HTTP API's modules share: ThingsBoard's error body, reading a bounded request body, JSON answers.
import type { IncomingMessage, ServerResponse } from "node:http";

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** ThingsBoard's error body: {status, message, errorCode, timestamp}; codes from ThingsboardErrorCode. */
export function errorBody(status: number, message: string): Record<string, unknown> {
  const errorCode = status === 400 ? 31 : status === 404 ? 32 : status === 401 ? 10 : status === 403 ? 20 : 2;
  return { status, message, errorCode, timestamp: Date.now() };
}

export const MAX_JSON_BYTES = 1 << 20;

/** The whole body, refused with 413 once it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `request body over ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("error", reject);
    req.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req, MAX_JSON_BYTES)).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, `request body is not valid JSON: ${JSON.stringify(text.slice(0, 60))}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) return void res.writeHead(status).end();
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
