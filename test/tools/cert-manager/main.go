// A cert-manager controller for the integration tests, built from cert-manager's own Go module.
//
// cert-manager's controller main lives in a separate module (cmd/controller) that the Go module
// proxy does not serve (its /@v/list answers 404), so this program does the few things that main
// does with the public packages of github.com/cert-manager/cert-manager: build the controller
// context from a kubeconfig, construct the named controllers from cert-manager's own registry,
// run them, and start the shared informers. The controllers, the CA issuer and the Certificate
// life cycle (trigger, key manager, request manager, issuing, readiness) are cert-manager's code,
// unchanged. No webhook, no leader election, no ACME.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	controllerpkg "github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"

	// Each import registers its controllers (or issuer type) in cert-manager's registries.
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
)

// What a CA Issuer and its Certificates need, by cert-manager's controller names.
const defaultControllers = "issuers,certificaterequests-approver,certificaterequests-issuer-ca," +
	"certificates-trigger,certificates-key-manager,certificates-request-manager," +
	"certificates-issuing,certificates-readiness,certificates-revision-manager"

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server")
	namespace := flag.String("namespace", "", "watch only this namespace (default: all)")
	controllers := flag.String("controllers", defaultControllers, "comma-separated cert-manager controller names")
	workers := flag.Int("workers", 2, "workers per controller")
	flag.Parse()
	if err := run(*kubeconfig, *namespace, strings.Split(*controllers, ","), *workers); err != nil {
		fmt.Fprintf(os.Stderr, "cert-manager-controller: %v\n", err)
		os.Exit(1)
	}
}

func run(kubeconfig, namespace string, names []string, workers int) error {
	logf.InitLogs()
	defer logf.FlushLogs()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	factory, err := controllerpkg.NewContextFactory(ctx, controllerpkg.ContextOptions{
		Kubeconfig:         kubeconfig,
		Namespace:          namespace,
		KubernetesAPIQPS:   50,
		KubernetesAPIBurst: 100,
		IssuerOptions:      controllerpkg.IssuerOptions{ClusterResourceNamespace: "kube-system"},
		CertificateOptions: controllerpkg.CertificateOptions{
			// cert-manager's defaults (1h, 32h) would hide a failed issuance from a test for an hour.
			CertificateRequestMinimumBackoffDuration: 5 * time.Second,
			CertificateRequestMaximumBackoffDuration: 30 * time.Second,
		},
	})
	if err != nil {
		return err
	}

	known := controllerpkg.Known()
	var wg sync.WaitGroup
	for _, name := range names {
		construct, ok := known[name]
		if !ok {
			return fmt.Errorf("unknown controller %q (known: %s)", name, knownNames(known))
		}
		controller, err := construct(factory)
		if err != nil {
			return fmt.Errorf("controller %s: %w", name, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := controller.Run(workers, ctx); err != nil {
				fmt.Fprintf(os.Stderr, "controller %s stopped: %v\n", name, err)
			}
		}()
	}

	// The informers the controllers registered on the shared factories start after construction.
	shared, err := factory.Build()
	if err != nil {
		return err
	}
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.SharedInformerFactory.Start(ctx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	fmt.Fprintf(os.Stderr, "cert-manager controllers running: %s\n", strings.Join(names, ","))
	wg.Wait()
	return nil
}

func knownNames(known map[string]controllerpkg.Constructor) string {
	names := make([]string, 0, len(known))
	for name := range known {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}
