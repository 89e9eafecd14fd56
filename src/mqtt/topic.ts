// Topic filter matching (MQTT 3.1.1 §4.7): "+" one level, "#" this level and all below.

/** True when `topic` matches `filter`; wildcards at the first level skip "$" topics. */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (topic[0] == "$" && filter[0] != "$") return false;
  // Level by level while either has one: past the end of an array is undefined, which no level of
  // the other equals and "+" does not fill.
  for (let i = 0; i < f.length || i < t.length; i++) {
    if (f[i] == "#") return true;
    if (f[i] == "+" ? t[i] == null : f[i] != t[i]) return false;
  }
  return true;
}

/** True for a valid subscription filter: "+" and "#" only as a whole level, "#" only last. */
export function validFilter(filter: string): boolean {
  // `\/` in the classes is needed: Espruino 2v29 ends a regex at any unescaped "/", even inside [...]
  // (docs/espruino.md §1.4). terser prints regex source as written, and the gate's `regex` rule checks it.
  return !!filter && !/[^\/][+#]|[+#][^\/]|#./.test(filter);
}
