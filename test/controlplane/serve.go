package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	serviceCIDR = "10.0.0.0/24"
	serviceIP   = "10.0.0.1" // first address of serviceCIDR: the "kubernetes" Service
	saIssuer    = "https://kubernetes.default.svc.cluster.local"
)

// serve runs the control plane in the foreground until SIGINT or SIGTERM.
//
// Layout of DIR:
//
//	kubeconfig        admin credential (client certificate in group system:masters); kept at stop
//	kubectl           shell wrapper: this binary's kubectl with --kubeconfig DIR/kubeconfig; kept
//	controlplane.log  logs of etcd, kube-apiserver and the controllers; kept
//	run/              etcd data, CA, serving and signing keys; created at start, removed at stop
//
// Every run starts from an empty etcd and a fresh CA: the cluster is disposable.
func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	dirFlag := fs.String("dir", "", "directory for the kubeconfig, the kubectl wrapper, logs and state (required)")
	quotaMiB := fs.Int64("etcd-quota-mib", 256, "etcd backend quota in MiB")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dirFlag == "" {
		fmt.Fprintln(os.Stderr, "controlplane serve: --dir is required")
		return 2
	}
	dir, err := filepath.Abs(*dirFlag)
	if err != nil {
		return fail(err)
	}

	// Die with the parent (the npm script, the test runner) even if it is killed with SIGKILL,
	// so no control plane outlives whoever started it.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGTERM), 0, 0, 0); err != nil {
		return fail(fmt.Errorf("prctl(PR_SET_PDEATHSIG): %w", err))
	}
	if os.Getppid() == 1 {
		return fail(errors.New("parent process already exited"))
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	// One control plane per directory: a second one would overwrite the first one's kubeconfig.
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fail(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fail(fmt.Errorf("another control plane is running with --dir %s", dir))
	}

	kubeconfigPath := filepath.Join(dir, "kubeconfig")
	runDir := filepath.Join(dir, "run")
	logPath := filepath.Join(dir, "controlplane.log")
	_ = os.Remove(kubeconfigPath) // never leave a previous run's credential looking valid
	if err := os.RemoveAll(runDir); err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(runDir, 0o700); err != nil {
		return fail(err)
	}
	defer os.RemoveAll(runDir)

	// Components log a lot through klog and zap on stderr: send fd 2 to the log file and keep our
	// own short progress lines (and the ready line) on stdout.
	origStderr, err := redirectStderr(logPath)
	if err != nil {
		return fail(err)
	}
	errorf := func(format string, a ...any) int {
		fmt.Fprintf(origStderr, "controlplane: error: "+format+" (logs: %s)\n", append(a, logPath)...)
		return 1
	}
	say := func(format string, a ...any) {
		line := fmt.Sprintf("controlplane: "+format+"\n", a...)
		os.Stdout.WriteString(line)
		os.Stderr.WriteString(line) // the log file: it tells the whole story
	}
	// If whoever reads our stdout is gone, a write must fail, not kill us with SIGPIPE mid-stop.
	signal.Ignore(syscall.SIGPIPE)

	// A soft memory limit makes the Go GC work harder before the heap grows past it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(768 << 20)
	}
	// Quiet the loopback clients' deprecation warnings, as kube-apiserver and the controller manager do.
	rest.SetDefaultWarningHandler(rest.NoWarnings{})

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	stopping := make(chan struct{})
	go func() {
		sig := <-signals
		say("received %s, stopping", sig)
		close(stopping)
		// Further signals change nothing (the parent-death SIGTERM may follow the parent's own):
		// the stop stays clean, bounded by this deadline.
		time.Sleep(45 * time.Second)
		fmt.Fprintln(origStderr, "controlplane: error: clean stop took longer than 45s, exiting")
		removeAllRetry(runDir)
		os.Exit(1)
	}()

	started := time.Now()
	p, err := newPKI(runDir)
	if err != nil {
		return errorf("generating certificates: %v", err)
	}

	// etcd
	etcdServer, etcdURL, err := startEtcd(filepath.Join(runDir, "etcd"), *quotaMiB<<20)
	if err != nil {
		return errorf("starting etcd: %v", err)
	}
	var closeEtcd sync.Once
	stopEtcd := func() { closeEtcd.Do(etcdServer.Close) } // Close panics if called twice
	defer stopEtcd()
	say("etcd listening on %s", etcdURL)

	// kube-apiserver
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return errorf("listening: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	serverURL := fmt.Sprintf("https://127.0.0.1:%d", port)
	apiCtx, stopAPIServer := context.WithCancel(context.Background())
	defer stopAPIServer()
	apiDone, err := startAPIServer(apiCtx, ln, []string{
		"--etcd-servers=" + etcdURL,
		fmt.Sprintf("--secure-port=%d", port),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// A loopback address cannot be an Endpoints address: no endpoints for the kubernetes Service.
		"--endpoint-reconciler-type=none",
		"--tls-cert-file=" + p.servingCertFile,
		"--tls-private-key-file=" + p.servingKeyFile,
		"--client-ca-file=" + p.caCertFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=" + saIssuer,
		"--service-account-key-file=" + p.saPubFile,
		"--service-account-signing-key-file=" + p.saKeyFile,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--allow-privileged=true",
		"--profiling=false",
		// Modest settings for a 2-core test machine: no API Priority and Fairness machinery (plain
		// max-in-flight limits instead), fewer concurrent requests.
		"--enable-priority-and-fairness=false",
		"--max-requests-inflight=200",
		"--max-mutating-requests-inflight=100",
		"--cert-dir=" + filepath.Join(runDir, "apiserver"),
	})
	if err != nil {
		return errorf("kube-apiserver: %v", err)
	}
	tlsConfig, err := p.tlsConfig()
	if err != nil {
		return errorf("admin credential: %v", err)
	}
	if err := waitReadyz(serverURL, tlsConfig, apiDone, stopping); err != nil {
		return errorf("kube-apiserver: %v", err)
	}
	say("kube-apiserver ready at %s after %s", serverURL, time.Since(started).Round(time.Millisecond))

	// The controllers, with the admin credential (system:masters, as a single-node kubeadm would use
	// its own controller-manager credential).
	admin := clientcmdapi.NewConfig()
	admin.Clusters["chaman"] = &clientcmdapi.Cluster{Server: serverURL, CertificateAuthorityData: p.caPEM}
	admin.AuthInfos["chaman-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: p.adminCertPEM, ClientKeyData: p.adminKeyPEM}
	admin.Contexts["chaman"] = &clientcmdapi.Context{Cluster: "chaman", AuthInfo: "chaman-admin", Namespace: "default"}
	admin.CurrentContext = "chaman"
	internalKubeconfig := filepath.Join(runDir, "admin.kubeconfig")
	if err := clientcmd.WriteToFile(*admin, internalKubeconfig); err != nil {
		return errorf("writing kubeconfig: %v", err)
	}
	kcmCtx, stopControllers := context.WithCancel(context.Background())
	defer stopControllers()
	kcmDone, err := startControllerManager(kcmCtx, []string{
		"--kubeconfig=" + internalKubeconfig,
		"--controllers=" + strings.Join(controllers, ","),
		"--leader-elect=false",
		"--secure-port=0", // no /healthz or /metrics server of its own
		"--service-account-private-key-file=" + p.saKeyFile,
		"--root-ca-file=" + p.caCertFile,
		"--use-service-account-credentials=false",
		"--kube-api-qps=100",
		"--kube-api-burst=200",
	})
	if err != nil {
		return errorf("controller manager: %v", err)
	}
	// The serviceaccount controller creating default/default proves the controllers are running.
	if err := waitDefaultServiceAccount(serverURL, p, kcmDone, apiDone, stopping); err != nil {
		return errorf("controllers: %v", err)
	}

	if err := writeKubeconfig(admin, kubeconfigPath); err != nil {
		return errorf("writing kubeconfig: %v", err)
	}
	kubectlPath := filepath.Join(dir, "kubectl")
	if err := writeKubectlWrapper(kubectlPath, kubeconfigPath); err != nil {
		return errorf("writing kubectl wrapper: %v", err)
	}
	say("ready in %s: Kubernetes %s at %s kubeconfig=%s kubectl=%s",
		time.Since(started).Round(time.Millisecond), kubernetesVersion(), serverURL, kubeconfigPath, kubectlPath)

	exit := 0
	select {
	case <-stopping:
	case err := <-apiDone:
		exit = errorf("kube-apiserver stopped: %v", err)
		apiDone = nil
	case err := <-kcmDone:
		exit = errorf("controller manager stopped: %v", err)
		kcmDone = nil
	}

	// Stop in dependency order: controllers, API server, etcd (deferred Close).
	stopControllers()
	waitDone("controller manager", kcmDone, 15*time.Second, origStderr)
	stopAPIServer()
	waitDone("kube-apiserver", apiDone, 20*time.Second, origStderr)
	stopEtcd()
	os.RemoveAll(runDir)
	say("stopped")
	return exit
}

// controllers is the minimal kube-controller-manager set for an operator's integration tests:
// owner-reference cascades, namespace deletion, the default ServiceAccount per namespace, legacy
// token Secrets and kube-root-ca.crt. TokenRequest itself is served by kube-apiserver.
var controllers = []string{
	"garbage-collector-controller",
	"namespace-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"root-ca-certificate-publisher-controller",
}

// removeAllRetry removes dir while etcd may still be writing into it.
func removeAllRetry(dir string) {
	for i := 0; i < 10 && os.RemoveAll(dir) != nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
}

func fail(err error) int {
	fmt.Fprintf(os.Stderr, "controlplane: error: %v\n", err)
	return 1
}

// redirectStderr points fd 2 at the log file and returns the original stderr.
func redirectStderr(logPath string) (*os.File, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	saved, err := unix.Dup(2)
	if err != nil {
		return nil, err
	}
	if err := unix.Dup3(int(logFile.Fd()), 2, 0); err != nil {
		return nil, err
	}
	logFile.Close()
	return os.NewFile(uintptr(saved), "stderr"), nil
}

func waitReadyz(serverURL string, tlsConfig *tls.Config, apiDone <-chan error, stopping <-chan struct{}) error {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	defer client.CloseIdleConnections()
	deadline := time.After(3 * time.Minute)
	for {
		resp, err := client.Get(serverURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-apiDone:
			return fmt.Errorf("exited before /readyz was ok: %v", err)
		case <-stopping:
			return errors.New("stopped before ready")
		case <-deadline:
			return errors.New("/readyz not ok after 3 minutes")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func waitDefaultServiceAccount(serverURL string, p *pki, kcmDone, apiDone <-chan error, stopping <-chan struct{}) error {
	client, err := kubernetes.NewForConfig(&rest.Config{
		Host:            serverURL,
		TLSClientConfig: rest.TLSClientConfig{CAData: p.caPEM, CertData: p.adminCertPEM, KeyData: p.adminKeyPEM},
	})
	if err != nil {
		return err
	}
	deadline := time.After(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		cancel()
		if err == nil {
			return nil
		}
		if !apierrors.IsNotFound(err) {
			fmt.Fprintf(os.Stderr, "controlplane: waiting for default/default ServiceAccount: %v\n", err)
		}
		select {
		case err := <-kcmDone:
			return fmt.Errorf("controller manager exited: %v", err)
		case err := <-apiDone:
			return fmt.Errorf("kube-apiserver exited: %v", err)
		case <-stopping:
			return errors.New("stopped before ready")
		case <-deadline:
			return errors.New("the default ServiceAccount did not appear within 2 minutes")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func waitDone(name string, done <-chan error, timeout time.Duration, log *os.File) {
	if done == nil {
		return
	}
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(log, "controlplane: %s stopped with: %v\n", name, err)
		}
	case <-time.After(timeout):
		fmt.Fprintf(log, "controlplane: %s did not stop within %s\n", name, timeout)
	}
}

// writeKubeconfig writes atomically (mode 0600), so a reader never sees half a file.
func writeKubeconfig(cfg *clientcmdapi.Config, path string) error {
	tmp := path + ".tmp"
	if err := clientcmd.WriteToFile(*cfg, tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func writeKubectlWrapper(path, kubeconfigPath string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	script := fmt.Sprintf("#!/bin/sh\n# Written by controlplane serve: kubectl %s against this directory's control plane.\nexec %s kubectl --kubeconfig %s \"$@\"\n",
		kubernetesVersion(), shellQuote(self), shellQuote(kubeconfigPath))
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(script), 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// kubernetesVersion is the k8s.io/kubernetes version pinned in go.mod. (/version and
// `kubectl version` report it too when the build sets k8s.io/component-base/version.gitVersion.)
func kubernetesVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "k8s.io/kubernetes" {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
