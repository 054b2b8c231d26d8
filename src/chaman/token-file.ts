// A bearer token read from a file, and read again when the file changes: a Kubernetes Secret mounted
// as a volume is rotated in place (the kubelet swaps the `..data` symlink), and the operator must send
// the new token without a restart (issue 16 item 8). A stat per request tells whether it changed
// (it follows the symlink: a swap changes the inode); the file is read only when it did.
import { readFileSync, statSync } from 'node:fs';

/**
 * Reads `path` now (throws when it is missing or empty: a configuration error at start), and returns
 * a function giving the current token. A file caught missing or empty later (mid-change) keeps the
 * last token; the next request looks again.
 */
export function tokenFromFile(path: string): () => string {
  let stamp = '';
  let token = '';
  const read = (): string => {
    const stat = statSync(path);
    const next = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (next === stamp) return token;
    const text = readFileSync(path, 'utf8').trim();
    if (text === '') throw new Error(`--chaman-token-file ${path} is empty`);
    stamp = next;
    token = text;
    return token;
  };
  read();
  return () => {
    try {
      return read();
    } catch {
      return token;
    }
  };
}
