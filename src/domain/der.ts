// A minimal, bounds-checked DER reader: just enough to tell a certificate, a PKCS#12 file and a
// private key apart without trusting a full parser with arbitrary bytes.

export interface Tlv {
  tag: number;
  /** offset of the contents */
  start: number;
  /** offset just past the contents */
  end: number;
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  SEQUENCE: 0x30,
} as const;

/** Reads one TLV at `offset` (single-byte tags only, definite lengths only); undefined if malformed. */
export function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let pos = offset + 1;
  let length = bytes[pos++]!;
  if (length === 0x80) return undefined;
  if (length > 0x80) {
    const n = length & 0x7f;
    if (n > 4 || pos + n > limit) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[pos++]!;
  }
  if (pos + length > limit) return undefined;
  return { tag, start: pos, end: pos + length };
}

/** The TLVs directly inside a constructed value; undefined if they do not exactly fill it. */
export function children(bytes: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  let pos = parent.start;
  while (pos < parent.end) {
    const child = readTlv(bytes, pos, parent.end);
    if (!child) return undefined;
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The whole input as one TLV (no trailing bytes allowed). */
export function readWhole(bytes: Uint8Array): Tlv | undefined {
  const top = readTlv(bytes, 0);
  return top && top.end === bytes.length ? top : undefined;
}

export function decodeOid(bytes: Uint8Array, tlv: Tlv): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) {
    const b = bytes[i]!;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  return parts.join('.');
}

/** A small non-negative INTEGER's value, or undefined if it is not one. */
export function smallInteger(bytes: Uint8Array, tlv: Tlv): number | undefined {
  if (tlv.tag !== TAG.INTEGER || tlv.end - tlv.start < 1 || tlv.end - tlv.start > 4) return undefined;
  let v = 0;
  for (let i = tlv.start; i < tlv.end; i++) v = v * 256 + bytes[i]!;
  return v;
}
