// Kubeconfig loading and authentication without the weight of @kubernetes/client-node's entry point.
//
// Importing the package (or its dist/config.js) loads the generated API models: about 50 MB of RSS on
// Node 24 that the operator never uses, since every request goes through KubeClient (undici). This
// module keeps client-node's own parsing (config_types.js) and its auth for exec credential plugins
// (exec_auth.js) and rotating token files (file_auth.js, in-cluster), which import nothing heavy,
// and applies TLS and headers the way KubeConfig.applyToHTTPSOptions does.
//
// Not supported, with an error that says what to use instead: the legacy `auth-provider` plugins
// (oidc, azure, gcp; kubectl replaced them with exec plugins in 1.26) and `proxy-url`.
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { newClusters, newContexts, newUsers, type Cluster, type Context, type User } from '@kubernetes/client-node/dist/config_types.js';
import { ExecAuth } from '@kubernetes/client-node/dist/exec_auth.js';
import { FileAuth } from '@kubernetes/client-node/dist/file_auth.js';
import { createRequire } from 'node:module';
import type { parse as parseYaml } from 'yaml';

const SERVICEACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** TLS and headers for requests to the API server: what KubeClient.fromKubeConfig needs. */
export interface HttpsOptions {
  ca?: Buffer;
  cert?: Buffer | string;
  key?: Buffer | string;
  rejectUnauthorized?: boolean;
  servername?: string;
  headers?: Record<string, string>;
  /** user:password for basic auth. */
  auth?: string;
}

/** The part of a kubeconfig the operator uses; @kubernetes/client-node's KubeConfig satisfies it too. */
export interface KubeAccess {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(opts: HttpsOptions): Promise<void>;
}

export class KubeConfigFile implements KubeAccess {
  clusters: Cluster[] = [];
  users: User[] = [];
  contexts: Context[] = [];
  currentContext = '';
  private readonly execAuth = new ExecAuth();
  private readonly fileAuth = new FileAuth();

  /** A kubeconfig file; relative certificate paths are taken from the file's folder, as kubectl does. */
  loadFromFile(file: string): this {
    // yaml (about 10 MB of RSS) only where a file is read: in a Pod, the ServiceAccount needs none.
    const { parse } = createRequire(import.meta.url)('yaml') as { parse: typeof parseYaml };
    const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
    this.clusters = newClusters(doc.clusters);
    this.users = newUsers(doc.users);
    this.contexts = newContexts(doc.contexts);
    this.currentContext = String(doc['current-context'] ?? '');
    const abs = (p: string | undefined) => (p && !isAbsolute(p) ? join(dirname(file), p) : p);
    for (const c of this.clusters) c.caFile = abs(c.caFile);
    for (const u of this.users) {
      u.certFile = abs(u.certFile);
      u.keyFile = abs(u.keyFile);
    }
    return this;
  }

  /** In a Pod: the ServiceAccount token (re-read as it rotates) and CA, the API server from the environment. */
  loadFromCluster(root = SERVICEACCOUNT): this {
    const host = process.env.KUBERNETES_SERVICE_HOST ?? '';
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
    const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
    this.clusters = [{ name: 'inCluster', caFile: `${root}/ca.crt`, server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`, skipTLSVerify: false }];
    this.users = [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: `${root}/token` } } }];
    this.contexts = [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser' }];
    this.currentContext = 'inClusterContext';
    return this;
  }

  /** $KUBECONFIG (its first file), else ~/.kube/config, else in-cluster. */
  loadFromDefault(): this {
    const fromEnv = (process.env.KUBECONFIG ?? '').split(delimiter).find(Boolean);
    if (fromEnv) return this.loadFromFile(fromEnv);
    const home = join(homedir(), '.kube', 'config');
    if (existsSync(home)) return this.loadFromFile(home);
    if (existsSync(`${SERVICEACCOUNT}/token`)) return this.loadFromCluster();
    throw new Error('no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a Pod');
  }

  getCurrentCluster(): Cluster | null {
    const name = this.currentContextObject()?.cluster;
    return this.clusters.find((c) => c.name === name) ?? null;
  }

  getCurrentUser(): User | null {
    const name = this.currentContextObject()?.user;
    return this.users.find((u) => u.name === name) ?? null;
  }

  async applyToHTTPSOptions(opts: HttpsOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    if (cluster?.proxyUrl) throw new Error(`kubeconfig cluster "${cluster.name}": proxy-url is not supported; reach the API server directly`);
    if (cluster?.skipTLSVerify) opts.rejectUnauthorized = false;
    if (cluster?.tlsServerName) opts.servername = cluster.tlsServerName;
    const ca = fileOrData(cluster?.caFile, cluster?.caData);
    if (ca) opts.ca = ca;
    if (!user) return;
    const cert = fileOrData(user.certFile, user.certData);
    if (cert) opts.cert = cert;
    const key = fileOrData(user.keyFile, user.keyData);
    if (key) opts.key = key;
    opts.headers ??= {};
    if (user.impersonateUser) opts.headers['Impersonate-User'] = user.impersonateUser;
    // The client library's authenticators take its own request options type, of which only the headers are used here.
    if (this.execAuth.isAuthProvider(user)) await this.execAuth.applyAuthentication(user, opts as never);
    else if (this.fileAuth.isAuthProvider(user)) await this.fileAuth.applyAuthentication(user, opts as never);
    else if (user.authProvider) {
      throw new Error(
        `kubeconfig user "${user.name}": the auth-provider "${user.authProvider.name}" is not supported; use an exec credential plugin instead (kubelogin for OIDC and Azure, gke-gcloud-auth-plugin for GKE)`,
      );
    }
    if (user.token) opts.headers.Authorization = `Bearer ${user.token}`;
    if (user.username) opts.auth = `${user.username}:${user.password ?? ''}`;
  }

  private currentContextObject(): Context | undefined {
    return this.contexts.find((c) => c.name === this.currentContext);
  }
}

function fileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}
