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

package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// profileChunk is how long each CPU profile the harness collects covers.
const profileChunk = 5 * time.Second

// A profiler fetches one CPU profile of profileChunk from a pprof endpoint.
type profiler struct {
	client *http.Client
	url    string // of /debug/pprof
}

// providerProfiler profiles the provider; nil when it serves no pprof.
func providerProfiler(p *provider) *profiler {
	if p.pprofURL == "" {
		return nil
	}
	return &profiler{client: http.DefaultClient, url: p.pprofURL}
}

// serverProfiler profiles the kube-apiserver cfg reaches, which serves pprof to its admins.
func serverProfiler(cfg *rest.Config) (*profiler, error) {
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &profiler{client: c, url: strings.TrimSuffix(cfg.Host, "/") + "/debug/pprof"}, nil
}

// collect writes consecutive CPU profiles into dir as <name>-NNN.pprof until the returned function is called;
// that function waits for the profile in flight. A nil profiler collects nothing.
func (p *profiler) collect(ctx context.Context, dir, name string, logf func(string, ...any)) (stop func()) {
	if p == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if err := p.cpu(ctx, filepath.Join(dir, fmt.Sprintf("%s-%03d.pprof", name, i))); err != nil {
				logf("cannot collect a CPU profile of the %s: %v", name, err)
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// cpu writes one CPU profile to path.
func (p *profiler) cpu(ctx context.Context, path string) error {
	return p.save(ctx, fmt.Sprintf("%s/profile?seconds=%d", p.url, int(profileChunk/time.Second)), path)
}

// allocs writes a profile of every allocation since the process started to path; nothing for a nil profiler.
func (p *profiler) allocs(ctx context.Context, path string) error {
	if p == nil {
		return nil
	}
	return p.save(ctx, p.url+"/allocs", path)
}

// save writes what url serves to path.
func (p *profiler) save(ctx context.Context, url, path string) error {
	b, err := get(ctx, p.client, url)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
