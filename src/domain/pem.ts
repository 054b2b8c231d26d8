// A linear PEM scanner (RFC 7468) for untrusted text: a Secret's tls.crt, a request body.
//
// It finds encapsulation boundaries with indexOf only, never a backtracking regular expression: the
// regex it replaces (`-----BEGIN (label)-----(body)-----END \1-----`) was quadratic, and one 256 KiB
// Secret of "-----BEGIN " then dashes held the operator's event loop for every tenant. Each search
// below resumes after the last position it found, so every byte is looked at a bounded number of
// times whatever the input; the label is read from a window of bounded size; and the number of
// blocks is capped.

/** The most PEM blocks one certificate file may hold (a cert-manager tls.crt holds two to four). */
export const MAX_PEM_BLOCKS = 200;

/** RFC 7468 labels are short (`CERTIFICATE`, `ENCRYPTED PRIVATE KEY`); a longer one is not a boundary. */
const MAX_LABEL_LENGTH = 64;
const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';

export interface PemBlock {
  label: string;
  /** the text between the BEGIN and END lines: optional headers, then base64 */
  body: string;
}

export interface PemScan {
  blocks: PemBlock[];
  /** more than MAX_PEM_BLOCKS boundaries: scanning stopped there */
  tooManyBlocks: boolean;
}

function isLabel(label: string): boolean {
  if (label === '' || label.length > MAX_LABEL_LENGTH) return false;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x20 || c === 0x23 || c === 0x2d; // A-Z 0-9 space # -
    if (!ok) return false;
  }
  return true;
}

/** The next occurrence of `needle` at or after a position, remembered so that no search covers text twice. */
function cursor(text: string, needle: string): (from: number) => number {
  let found = text.indexOf(needle);
  return (from) => {
    if (found !== -1 && found < from) found = text.indexOf(needle, from);
    return found;
  };
}

/**
 * The complete blocks of `text`, in order. A block is BEGIN label, body, END label; a BEGIN line with
 * no END of the same label before the next BEGIN (truncated or nested) is skipped, as is an END that
 * closes nothing. Linear in the length of `text`.
 */
export function scanPem(text: string, maxBlocks = MAX_PEM_BLOCKS): PemScan {
  const blocks: PemBlock[] = [];
  const nextBegin = cursor(text, BEGIN);
  const nextEnd = cursor(text, END);
  let boundaries = 0;
  let pos = 0;
  for (;;) {
    const begin = nextBegin(pos);
    if (begin === -1) break;
    if (++boundaries > maxBlocks) return { blocks, tooManyBlocks: true };
    const labelStart = begin + BEGIN.length;
    const window = text.slice(labelStart, labelStart + MAX_LABEL_LENGTH + DASHES.length);
    const labelLength = window.indexOf(DASHES);
    const label = labelLength === -1 ? '' : window.slice(0, labelLength);
    if (!isLabel(label)) {
      pos = begin + 1;
      continue;
    }
    const bodyStart = labelStart + labelLength + DASHES.length;
    const end = nextEnd(bodyStart);
    if (end === -1) break; // no END anywhere after: no later block can be complete either
    const following = nextBegin(bodyStart);
    if (following !== -1 && following < end) {
      pos = following; // this block never ends before the next one begins: truncated or nested
      continue;
    }
    const closing = `${END}${label}${DASHES}`;
    if (text.startsWith(closing, end)) {
      blocks.push({ label, body: text.slice(bodyStart, end) });
      pos = end + closing.length;
    } else {
      pos = end + END.length; // the END of another label
    }
  }
  return { blocks, tooManyBlocks: false };
}
