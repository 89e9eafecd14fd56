// The devices file: `[{"name": "...", "token": "..."}]`, names and tokens unique.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { mask } from "../common/index.ts";

export interface DeviceCredentials {
  name: string;
  token: string;
}

const deviceSchema = z.object({
  name: z.string().min(1, "name must not be empty"),
  token: z.string().min(1, "token must not be empty"),
});

/** Validates a device list; throws one line naming the bad entry and the fix. */
export function validateDevices(input: unknown, source = "devices"): DeviceCredentials[] {
  if (!Array.isArray(input)) {
    throw new Error(`${source}: expected a JSON array like [{"name": "dev1", "token": "..."}]`);
  }
  const names = new Set<string>();
  const tokens = new Set<string>();
  return input.map((item, i) => {
    const parsed = deviceSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join(".") || "entry";
      throw new Error(`${source}[${i}]: ${field}: ${issue.message} (each entry needs a non-empty "name" and "token")`);
    }
    const { name, token } = parsed.data;
    if (names.has(name)) throw new Error(`${source}[${i}]: duplicate device name "${name}"; names must be unique`);
    if (tokens.has(token)) {
      throw new Error(`${source}[${i}]: token ${mask(token)} is already used by another device; tokens must be unique`);
    }
    names.add(name);
    tokens.add(token);
    return { name, token };
  });
}

export function loadDevicesFile(path: string): DeviceCredentials[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`devices file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? e}); pass an existing file with --devices`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`devices file ${path}: not valid JSON (${(e as Error).message})`);
  }
  return validateDevices(json, `devices file ${path}`);
}
