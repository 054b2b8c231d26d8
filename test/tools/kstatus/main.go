// kstatus computes the kstatus result of one Kubernetes object with the library Flux (and
// kubectl-style tools such as cli-utils' `status` and kpt) use: sigs.k8s.io/cli-utils/pkg/kstatus/status.
//
// Usage: kstatus < object.(json|yaml)
//
// Prints {"status": "Current|InProgress|Failed|Terminating|NotFound|Unknown", "message": "..."} as
// JSON. Exit 1 when the input is not one object or the library returns an error.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

type result struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	if len(os.Args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: kstatus < object.(json|yaml)")
		os.Exit(2)
	}
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	asJSON, err := yaml.YAMLToJSON(input)
	if err != nil {
		fail(fmt.Errorf("stdin is not JSON or YAML: %w", err))
	}
	// The unstructured decoder keeps integers as int64, as objects read from the API server have them.
	object := &unstructured.Unstructured{}
	if err := object.UnmarshalJSON(asJSON); err != nil {
		fail(fmt.Errorf("stdin is not one Kubernetes object: %w", err))
	}
	computed, err := status.Compute(object)
	if err != nil {
		fail(err)
	}
	out, err := json.Marshal(result{Status: computed.Status.String(), Message: computed.Message})
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "kstatus: %v\n", err)
	os.Exit(1)
}
