// Times as Kubernetes writes them (metav1.Time): RFC 3339 in UTC, to the second.

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
