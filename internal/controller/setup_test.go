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

package controller

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// TestSetupFailureStopsTheManager fails a set-up after the manager started, as a gate does once the CRDs of a
// controller appear: the manager stops with the first failure, named.
func TestSetupFailureStopsTheManager(t *testing.T) {
	// Nothing in this manager talks to an API server.
	mgr, err := ctrl.NewManager(&rest.Config{Host: "https://127.0.0.1:1"}, ctrl.Options{Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	failed := make(setupFailures, 1)
	if err := mgr.Add(failed); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(ctx) }()

	failed.fail(nil, "ProviderConfig controllers")
	failed.fail(errors.New("controller with name nodepod already exists"), "NodePod controller")
	failed.fail(errors.New("a second failure"), "NodeService controller")

	select {
	case err := <-stopped:
		want := "cannot set up the NodePod controller: controller with name nodepod already exists"
		if err == nil || err.Error() != want {
			t.Errorf("the manager stopped with %v, want %q", err, want)
		}
	case <-ctx.Done():
		t.Fatal("the manager runs on after a set-up failed")
	}
}
