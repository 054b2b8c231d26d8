// What a failed list or watch means for the person reading the log: the resource, the HTTP status,
// and what to do. Starting the operator before its CRDs are installed is the classic case: the API
// server answers 404 for a group it does not serve, and the log must say "install the CRDs".
import { KubeApiError, apiVersionOf, type ResourceType } from './client.ts';

export interface WatchFailure {
  /** `chamansenders.chaman.io` (or `secrets` for the core group). */
  resource: string;
  verb: string;
  /** HTTP status; 0 when no answer came (network failure). */
  status: number;
  reason: string;
  /** One line: what failed, why, and what to do. */
  message: string;
}

/**
 * Whether a request got no HTTP answer at all (refused, reset, timed out): the API server is away,
 * and its return is worth watching for. A watch stream that breaks after its answer began is not
 * this: the server may be fine, and a plain backoff keeps such a stream from spinning.
 */
export function isNoAnswer(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 0 && err.reason !== 'Aborted';
}

export function describeWatchFailure(rt: ResourceType, err: unknown, namespace: string | undefined, retryInMs: number): WatchFailure {
  const resource = rt.group ? `${rt.plural}.${rt.group}` : rt.plural;
  const api = err instanceof KubeApiError ? err : undefined;
  const verb = api?.verb ?? 'watch';
  const status = api?.status ?? 0;
  const reason = api?.reason ?? 'StreamError';
  const where = namespace ? ` in namespace ${namespace}` : '';
  const retry = `retrying in ${Math.max(1, Math.round(retryInMs / 1000))} s`;
  const what = `${verb} ${resource} (${apiVersionOf(rt)})${where} failed: ${status ? `HTTP ${status} ${reason}` : reason === 'StreamError' ? 'the watch stream broke' : `no answer from the API server (${reason})`}`;
  return { resource, verb, status, reason, message: `${what}; ${advice(rt, resource, status)}; ${retry}` };
}

function advice(rt: ResourceType, resource: string, status: number): string {
  switch (status) {
    case 0:
      return 'check that the API server is up and reachable from the operator';
    case 401:
      return "the API server does not accept the operator's credentials: check the kubeconfig or the ServiceAccount token";
    case 403:
      return `the operator may not list and watch ${resource}: apply its RBAC (kubectl apply -k manifests/), or limit it to namespaces it may read with --namespace`;
    case 404:
      return rt.group === 'chaman.io'
        ? `the API server does not serve ${resource}: install the CRDs (kubectl apply -f crds/)`
        : `the API server does not serve ${resource} at ${apiVersionOf(rt)}`;
    case 429:
      return 'the API server is throttling requests';
    default:
      return status >= 500 ? 'the API server failed; see its logs if this repeats' : 'see the status above';
  }
}
