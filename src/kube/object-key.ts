// The keys of the work queue: `namespace/name` of an object, with an optional `Kind:` prefix, and back.

/** Builds the key of a namespaced object: `namespace/name`, with an optional `Kind:` prefix. */
export function objectKey(namespace: string | undefined, name: string, kind?: string): string {
  const nn = namespace ? `${namespace}/${name}` : name;
  return kind ? `${kind}:${nn}` : nn;
}

/** Inverse of objectKey. */
export function parseObjectKey(key: string): { kind?: string; namespace?: string; name: string } {
  let rest = key;
  let kind: string | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    kind = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  const slash = rest.indexOf('/');
  if (slash < 0) return { kind, name: rest };
  return { kind, namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
}
