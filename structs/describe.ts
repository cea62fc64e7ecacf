/**
 * How a bad argument is shown in an error message: never by calling into the value (a detached
 * buffer's join, a hostile toString or a Symbol would throw while the error is being made).
 *
 * @module
 */

/**
 * A short, safe text for any value: numbers, bigints, booleans, null and undefined as themselves,
 * strings quoted, and anything else by its kind.
 *
 * @example
 * ```ts
 * import { describeValue } from "@recvmsg/recvmsg/structs";
 * console.log(describeValue(2 ** 40), describeValue("x"), describeValue(new Uint8Array(2))); // 1099511627776 "x" Uint8Array
 * ```
 */
export function describeValue(v: unknown): string {
  switch (typeof v) {
    case "number":
    case "bigint":
    case "boolean":
    case "undefined":
      return String(v);
    case "string":
      return JSON.stringify(v.length > 60 ? v.slice(0, 60) + "…" : v);
    case "symbol":
      return "a Symbol";
    case "function":
      return "a function";
  }
  if (v === null) return "null";
  try {
    return Object.getPrototypeOf(v)?.constructor?.name ?? "object";
  } catch {
    return "object";
  }
}
