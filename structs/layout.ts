/**
 * C struct layouts declared as data. Offsets, sizes and alignments are computed with C's rules
 * (each field at the next multiple of its alignment, the struct padded to its largest alignment),
 * so a table stays readable as the header it mirrors and the compiler can check it
 * (see tests/layout_c.test.ts).
 *
 * @module
 */

/** The primitive C types the layouts use, named by what they are rather than by a platform typedef. */
export type Primitive =
  | "u8"
  | "i8"
  | "u16"
  | "i16"
  | "u32"
  | "i32"
  | "u64"
  | "i64"
  /** A data pointer. */
  | "ptr"
  /** `size_t` / `SIZE_T`. */
  | "size"
  /** C `long` / `unsigned long`: 4 bytes on Windows (LLP64), 8 on 64-bit Linux and macOS (LP64). */
  | "long"
  | "ulong";

/** Sizes that differ between data models. Alignment equals size for every primitive here. */
export interface Abi {
  /** Name for messages and generated C. */
  readonly name: string;
  /** Bytes of a pointer. */
  readonly pointer: 4 | 8;
  /** Bytes of a C `long`: 4 on Windows (LLP64), 8 on Linux and Darwin (LP64). */
  readonly long: 4 | 8;
  /** Bytes of `size_t`. */
  readonly size: 4 | 8;
  /** `true` when multi-byte integers are stored little-endian. */
  readonly littleEndian: boolean;
}

/**
 * 64-bit Windows (x64 and arm64): LLP64, little-endian. Both Deno and Bun ship 64-bit Windows builds only.
 *
 * @example
 * ```ts
 * import { WINDOWS_LLP64 } from "@recvmsg/recvmsg/structs";
 * console.log(WINDOWS_LLP64.long); // 4
 * ```
 */
export const WINDOWS_LLP64: Abi = { name: "windows-llp64", pointer: 8, long: 4, size: 8, littleEndian: true };

/**
 * 64-bit Linux and macOS (x86_64, aarch64/arm64): LP64, little-endian.
 *
 * @example
 * ```ts
 * import { UNIX_LP64 } from "@recvmsg/recvmsg/structs";
 * console.log(UNIX_LP64.long); // 8
 * ```
 */
export const UNIX_LP64: Abi = { name: "unix-lp64", pointer: 8, long: 8, size: 8, littleEndian: true };

/** A field's type: a primitive, a fixed array of one, or another struct laid out inline. */
export type FieldType = Primitive | { readonly array: Primitive; readonly count: number } | StructDecl;

/** A struct as declared: its C name and its fields in order. */
export interface StructDecl {
  /** The C type name (used by the generated compiler checks), e.g. `WSAMSG`. */
  readonly c: string;
  /** The fields in declaration order: name and type. */
  readonly fields: readonly (readonly [name: string, type: FieldType])[];
}

/** Where one field sits in a laid-out struct. */
export interface Field {
  /** Byte offset from the struct's start. */
  readonly offset: number;
  /** Bytes of the field. */
  readonly size: number;
  /** Alignment of the field. */
  readonly align: number;
  /** The field's type as declared. */
  readonly type: FieldType;
}

/** A struct laid out for one ABI. */
export interface Layout {
  /** The C name of the struct. */
  readonly c: string;
  /** The ABI it was laid out for. */
  readonly abi: Abi;
  /** sizeof. */
  readonly size: number;
  /** _Alignof. */
  readonly align: number;
  /** Every field by name. */
  readonly fields: Readonly<Record<string, Field>>;
}

/**
 * The size in bytes of a primitive under an ABI.
 *
 * @example
 * ```ts
 * import { primitiveSize, WINDOWS_LLP64 } from "@recvmsg/recvmsg/structs";
 * console.log(primitiveSize("ulong", WINDOWS_LLP64)); // 4
 * ```
 */
export function primitiveSize(p: Primitive, abi: Abi): number {
  switch (p) {
    case "u8":
    case "i8":
      return 1;
    case "u16":
    case "i16":
      return 2;
    case "u32":
    case "i32":
      return 4;
    case "u64":
    case "i64":
      return 8;
    case "ptr":
      return abi.pointer;
    case "size":
      return abi.size;
    case "long":
    case "ulong":
      return abi.long;
  }
}

/**
 * Rounds `n` up to a multiple of `align`. Plain arithmetic rather than bit masks, so that lengths
 * above 2^32 (a 64-bit `cmsg_len` from a bad buffer) stay exact instead of wrapping to 32 bits.
 *
 * @example
 * ```ts
 * import { alignUp } from "@recvmsg/recvmsg/structs";
 * console.log(alignUp(21, 8), alignUp(2 ** 40 + 1, 8)); // 24 1099511627784
 * ```
 */
export function alignUp(n: number, align: number): number {
  const r = n % align;
  return r === 0 || !Number.isFinite(n) ? n : n + align - r;
}

function measure(t: FieldType, abi: Abi): { size: number; align: number } {
  if (typeof t === "string") {
    const s = primitiveSize(t, abi);
    return { size: s, align: s };
  }
  if ("array" in t) {
    const s = primitiveSize(t.array, abi);
    return { size: s * t.count, align: s };
  }
  const l = layout(t, abi);
  return { size: l.size, align: l.align };
}

/**
 * Lays out a declared struct for an ABI with C's rules.
 *
 * @example
 * ```ts
 * import { layout, WINDOWS_LLP64, WSAMSG } from "@recvmsg/recvmsg/structs";
 * const l = layout(WSAMSG, WINDOWS_LLP64);
 * console.log(l.size, l.fields.Control.offset); // 56 32
 * ```
 */
export function layout(decl: StructDecl, abi: Abi): Layout {
  let offset = 0;
  let maxAlign = 1;
  const fields: Record<string, Field> = {};
  for (const [name, type] of decl.fields) {
    const { size, align } = measure(type, abi);
    offset = alignUp(offset, align);
    fields[name] = { offset, size, align, type };
    offset += size;
    maxAlign = Math.max(maxAlign, align);
  }
  return { c: decl.c, abi, size: alignUp(offset, maxAlign), align: maxAlign, fields };
}

/**
 * The byte offset of a field, following a dotted path through inline structs (`"Control.len"`).
 * Throws a `RangeError` naming the path if a step does not exist, so a typo fails at load time.
 *
 * @example
 * ```ts
 * import { layout, offsetOf, WINDOWS_LLP64, WSAMSG } from "@recvmsg/recvmsg/structs";
 * console.log(offsetOf(layout(WSAMSG, WINDOWS_LLP64), "Control.buf")); // 40
 * ```
 */
export function offsetOf(l: Layout, path: string): number {
  let current = l;
  let total = 0;
  const steps = path.split(".");
  for (let i = 0; i < steps.length; i++) {
    const f = current.fields[steps[i]];
    if (!f) throw new RangeError(`offsetOf: ${l.c} has no field '${path}'`);
    total += f.offset;
    if (i < steps.length - 1) {
      if (typeof f.type === "string" || "array" in f.type) {
        throw new RangeError(`offsetOf: '${steps.slice(0, i + 1).join(".")}' in ${l.c} is not a struct`);
      }
      current = layout(f.type, l.abi);
    }
  }
  return total;
}

/**
 * Every leaf field of a layout with its dotted path and absolute offset, depth first.
 * The compiler checks are generated from this list.
 *
 * @example
 * ```ts
 * import { flatFields, layout, WINDOWS_LLP64, WSAMSG } from "@recvmsg/recvmsg/structs";
 * for (const f of flatFields(layout(WSAMSG, WINDOWS_LLP64))) console.log(f.path, f.offset);
 * ```
 */
export function flatFields(l: Layout): { path: string; offset: number; size: number }[] {
  const out: { path: string; offset: number; size: number }[] = [];
  for (const [name, f] of Object.entries(l.fields)) {
    if (typeof f.type !== "string" && !("array" in f.type)) {
      for (const inner of flatFields(layout(f.type, l.abi))) {
        out.push({ path: `${name}.${inner.path}`, offset: f.offset + inner.offset, size: inner.size });
      }
    } else {
      out.push({ path: name, offset: f.offset, size: f.size });
    }
  }
  return out;
}
