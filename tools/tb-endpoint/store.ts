// What the endpoint keeps per device: telemetry as received and per key, client and shared attributes.
// Bounded: at most `maxEntries` telemetry entries per device and per key, oldest dropped.
import { BoundedList } from "./bounded-list.ts";
import type { TelemetryEntry } from "./payloads.ts";

export interface TsPoint {
  ts: number;
  value: unknown;
}

export interface AttributeValue {
  value: unknown;
  lastUpdateTs: number;
}

export type Scope = "client" | "shared";

export class DeviceData {
  readonly entries: BoundedList<TelemetryEntry>;
  readonly series = new Map<string, BoundedList<TsPoint>>();
  readonly attributes: Record<Scope, Map<string, AttributeValue>> = { client: new Map(), shared: new Map() };

  constructor(private readonly maxEntries: number) {
    this.entries = new BoundedList(maxEntries);
  }

  addTelemetry(entries: TelemetryEntry[]): void {
    for (const entry of entries) {
      this.entries.push(entry);
      for (const [key, value] of Object.entries(entry.values)) {
        let list = this.series.get(key);
        if (!list) this.series.set(key, (list = new BoundedList(this.maxEntries)));
        list.push({ ts: entry.ts, value });
      }
    }
  }

  setAttributes(scope: Scope, attrs: Record<string, unknown>, now: number): void {
    for (const [key, value] of Object.entries(attrs)) this.attributes[scope].set(key, { value, lastUpdateTs: now });
  }

  deleteAttributes(scope: Scope, keys: string[]): string[] {
    return keys.filter((k) => this.attributes[scope].delete(k));
  }

  attributeObject(scope: Scope, keys?: string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const map = this.attributes[scope];
    for (const key of keys && keys.length ? keys : map.keys()) {
      const a = map.get(key);
      if (a) out[key] = a.value;
    }
    return out;
  }

  /**
   * Points of one key as ThingsBoard's REST API returns them: newest first, startTs inclusive and endTs exclusive, one value per ts (a later write
   * with the same ts replaces the earlier one, as in ThingsBoard's ts/key primary key).
   */
  history(key: string, startTs = -Infinity, endTs = Infinity, limit = Infinity): TsPoint[] {
    const byTs = new Map<number, TsPoint>();
    for (const p of this.series.get(key)?.toArray() ?? []) if (p.ts >= startTs && p.ts < endTs) byTs.set(p.ts, p);
    return [...byTs.values()].sort((a, b) => b.ts - a.ts).slice(0, limit);
  }
}
