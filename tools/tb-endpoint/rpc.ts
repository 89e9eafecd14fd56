// Server-side RPC bookkeeping for one device: ids, the request waiting for a subscriber, the timeout.

export type RpcErrorCode = "TIMEOUT" | "NO_ACTIVE_CONNECTION" | "STOPPED";

export class RpcError extends Error {
  constructor(readonly code: RpcErrorCode, message: string) {
    super(message);
  }
}

export interface PendingRpc {
  id: number;
  method: string;
  params: unknown;
  delivered: boolean;
  /** Called with the device's raw answer text. */
  resolve(raw: string | undefined): void;
  reject(error: RpcError): void;
  timer: NodeJS.Timeout;
}

/** ThingsBoard's REST default when the request names no timeout. */
export const DEFAULT_RPC_TIMEOUT_MS = 10_000;
