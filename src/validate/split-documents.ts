// Splits a YAML byte stream into documents at separator lines, the way kubectl's YAML reader does
// (k8s.io/apimachinery yaml.YAMLReader: a line that is `---`, optionally followed by blanks or a
// comment), without parsing YAML. A document over `maxBytes` is measured but not kept, so memory
// stays bounded by the limit whatever the input size.

export interface RawDocument {
  /** 1-based line where the document's text starts. */
  line: number;
  /** Size in bytes (without its separator line). */
  bytes: number;
  /** The document, or undefined when it is larger than maxBytes. */
  text?: string;
  /** The first bytes of an oversize document (at most HEAD_BYTES), to tell what it was. */
  head: string;
}

const NEWLINE = 0x0a;
/** A separator line is short; longer lines are never buffered to check for one. */
const MAX_SEPARATOR_LINE = 256;
const HEAD_BYTES = 16 * 1024;
const SEPARATOR = /^---[ \t]*(#.*)?\r?\n?$/;

export async function* splitYamlDocuments(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, maxBytes: number): AsyncGenerator<RawDocument> {
  let parts: Buffer[] = []; // the current document while it is within maxBytes
  let bytes = 0;
  let startLine = 1;
  let lineNo = 1;
  let line: Buffer[] = []; // the current line while it may still be a separator
  let lineBytes = 0;
  // The first HEAD_BYTES of the document, as pieces joined once at the end: joining at every line
  // copied the head again for each of its lines (quadratic in HEAD_BYTES for a document of blank lines).
  let head: Buffer[] = [];
  let headBytes = 0;

  const finish = (): RawDocument => {
    const doc: RawDocument = { line: startLine, bytes, head: '' };
    if (bytes <= maxBytes) doc.text = Buffer.concat(parts).toString('utf8');
    else doc.head = Buffer.concat(head).toString('utf8');
    parts = [];
    bytes = 0;
    head = [];
    headBytes = 0;
    return doc;
  };
  const append = (piece: Buffer) => {
    bytes += piece.length;
    if (headBytes < HEAD_BYTES) {
      const kept = piece.subarray(0, HEAD_BYTES - headBytes);
      head.push(kept);
      headBytes += kept.length;
    }
    if (bytes <= maxBytes) parts.push(piece);
    else parts = [];
  };

  for await (const chunk of chunks) {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, pos);
      const end = nl === -1 ? chunk.length : nl + 1;
      const piece = chunk.subarray(pos, end);
      pos = end;
      lineBytes += piece.length;
      if (lineBytes <= MAX_SEPARATOR_LINE) line.push(piece);
      else {
        // Too long to be a separator: it belongs to the document.
        for (const held of line) append(held);
        line = [];
        append(piece);
      }
      if (nl === -1) continue;
      // A whole line: a separator ends the document; anything else belongs to it.
      const whole = lineBytes <= MAX_SEPARATOR_LINE ? Buffer.concat(line) : undefined;
      if (whole && SEPARATOR.test(whole.toString('latin1'))) {
        const hasContent = bytes > 0;
        if (hasContent) yield finish();
        startLine = lineNo + 1;
      } else if (whole) append(whole);
      line = [];
      lineBytes = 0;
      lineNo++;
    }
  }
  const rest = lineBytes <= MAX_SEPARATOR_LINE ? Buffer.concat(line) : undefined;
  if (rest && rest.length > 0 && !SEPARATOR.test(rest.toString('latin1'))) append(rest);
  if (bytes > 0) yield finish();
}
