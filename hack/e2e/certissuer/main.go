/*
Copyright 2026 The kindnode Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Command certissuer stands in for cert-manager in the offline end-to-end run, where cert-manager's images
// cannot be pulled. Cluster API's components ask cert-manager for two things: a selfSigned Issuer's
// Certificate written to a Secret (the webhook servers' TLS), and that Secret's CA injected into the caBundle
// of the CRDs and webhook configurations annotated cert-manager.io/inject-ca-from. certissuer does both, by
// looking at all of them every --interval, and nothing else: no other issuer kinds, no renewal schedule
// beyond re-issuing a certificate in the last third of its life. Its CRDs (crds/) and Deployment
// (deploy.yaml) are installed by hack/e2e/capi.sh; clusterctl is told that cert-manager is provisioned
// externally.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func main() {
	interval := flag.Duration("interval", 2*time.Second, "how often to look at Certificates and caBundles")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, *interval)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "certissuer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, interval time.Duration) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return err
	}
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return err
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return err
	}
	issuer := &Issuer{Client: c, Now: time.Now}
	t := time.NewTicker(interval)
	defer t.Stop()
	var last string
	for {
		msg := "in sync"
		if err := issuer.Sync(ctx); err != nil {
			msg = err.Error()
		}
		// Say what changed, not the same thing every tick.
		if msg != last {
			fmt.Fprintf(os.Stderr, "%s certissuer: %s\n", time.Now().UTC().Format(time.RFC3339), msg)
			last = msg
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
