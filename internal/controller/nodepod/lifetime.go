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

package nodepod

import (
	"context"
	"sync"
)

// A lifetime hands the manager's context, which its Start receives as a manager Runnable, to the background
// work reconciles begin: bootstrap runs, network reads. Work begun before Start lives as long as the process.
type lifetime struct {
	mu  sync.Mutex
	ctx context.Context //nolint:containedctx // Start hands it over; see above.
}

// Start keeps ctx for the work begun from now on, until ctx ends.
func (l *lifetime) Start(ctx context.Context) error {
	l.mu.Lock()
	l.ctx = ctx
	l.mu.Unlock()
	<-ctx.Done()
	return nil
}

// context is the context background work begins under.
func (l *lifetime) context() context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx == nil {
		return context.Background()
	}
	return l.ctx
}
