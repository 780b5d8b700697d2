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

package testprovider

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// A Request is one API request the provider sent, and the status code it got back (0 when it got none).
type Request struct {
	Method string
	Path   string
	Code   int
	// Body is what a request other than a GET sent, to tell a test's reader what was written.
	Body string
}

func (r Request) String() string { return fmt.Sprintf("%s %s %d %s", r.Method, r.Path, r.Code, r.Body) }

// Requests records the API requests the provider sends, so that a test can bound what a controller costs
// the API server without timing anything.
type Requests struct {
	mu   sync.Mutex
	sent []Request
}

// To are the requests sent so far to path or to one of its subresources, such as path+"/status".
func (r *Requests) To(path string) []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Request
	for _, q := range r.sent {
		if q.Path == path || strings.HasPrefix(q.Path, path+"/") {
			out = append(out, q)
		}
	}
	return out
}

// wrap returns a transport that records every request rt sends.
func (r *Requests) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		q := Request{Method: req.Method, Path: req.URL.Path}
		if req.Method != http.MethodGet && req.GetBody != nil {
			if body, err := req.GetBody(); err == nil {
				b, _ := io.ReadAll(body)
				_ = body.Close()
				q.Body = string(b)
			}
		}
		resp, err := rt.RoundTrip(req)
		if resp != nil {
			q.Code = resp.StatusCode
		}
		r.mu.Lock()
		r.sent = append(r.sent, q)
		r.mu.Unlock()
		return resp, err
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
