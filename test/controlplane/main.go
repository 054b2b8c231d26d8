// Command controlplane is a multi-call binary for tests and demos of chaman-operator:
//
//	controlplane serve --dir DIR   etcd + kube-apiserver + the controllers below, in one process
//	controlplane kubectl ...       kubectl, built from the same Kubernetes release
//
// One binary keeps the cold build (minutes) and the disk use down: kube-apiserver, the controller
// manager and kubectl share most of their dependencies.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

const usage = `usage:
  controlplane serve --dir DIR [--etcd-quota-mib N]
  controlplane kubectl [kubectl arguments...]
`

func main() {
	// Called through a symlink named kubectl: behave as kubectl.
	if filepath.Base(os.Args[0]) == "kubectl" {
		os.Exit(kubectl(os.Args))
	}
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		os.Exit(serve(os.Args[2:]))
	case "kubectl":
		os.Exit(kubectl(append([]string{"kubectl"}, os.Args[2:]...)))
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
}

// kubectl runs kubectl as cmd/kubectl/kubectl.go does; argv[0] must be "kubectl".
func kubectl(argv []string) int {
	os.Args = argv
	logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) // nolint:errcheck
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err) // prints and exits non-zero
	}
	return 0
}
