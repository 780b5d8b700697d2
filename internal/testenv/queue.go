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

package testenv

import (
	"time"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// GetWithin is q.Get, giving up after d: a request that never comes fails the test instead of hanging it. A
// timeout shuts q down, which releases the pending Get.
func GetWithin(q workqueue.TypedInterface[reconcile.Request], d time.Duration) (reconcile.Request, bool) {
	got := make(chan reconcile.Request, 1)
	go func() {
		if req, shutdown := q.Get(); !shutdown {
			got <- req
		}
	}()
	select {
	case req := <-got:
		return req, true
	case <-time.After(d):
		q.ShutDown()
		return reconcile.Request{}, false
	}
}
