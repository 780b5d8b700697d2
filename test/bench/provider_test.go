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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRequests(t *testing.T) {
	cases := map[string]struct {
		reason  string
		metrics string
		want    map[string]float64
		wantErr bool
	}{
		"SumsByMethod": {
			reason: "Successful series of every code and host add up per method; other metrics are ignored.",
			metrics: `# TYPE rest_client_requests_total counter
rest_client_requests_total{code="200",host="127.0.0.1:6443",method="GET"} 3
rest_client_requests_total{code="200",host="10.0.0.1:6443",method="GET"} 2
rest_client_requests_total{code="201",host="127.0.0.1:6443",method="POST"} 1e+03
rest_client_request_duration_seconds_count{host="127.0.0.1:6443",verb="GET"} 99
`,
			want: map[string]float64{"GET": 5, "POST": 1000},
		},
		"RefusedApart": {
			reason: "Requests the API server refused count apart, by code, so that conflicts show.",
			metrics: `rest_client_requests_total{code="200",host="127.0.0.1:6443",method="PATCH"} 7
rest_client_requests_total{code="409",host="127.0.0.1:6443",method="PATCH"} 2
rest_client_requests_total{code="409",host="10.0.0.1:6443",method="PATCH"} 1
rest_client_requests_total{code="404",host="127.0.0.1:6443",method="GET"} 4
rest_client_requests_total{code="<error>",host="127.0.0.1:6443",method="GET"} 1
`,
			want: map[string]float64{"PATCH": 7, "PATCH(409)": 3, "GET(404)": 4, "GET(<error>)": 1},
		},
		"NoSeries": {
			reason:  "Metrics without the request counter are an error, not zero requests.",
			metrics: "go_goroutines 12\n",
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseRequests(strings.NewReader(tc.metrics))
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nparseRequests(...): error %v, want error %v", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" && !tc.wantErr {
				t.Errorf("%s\nparseRequests(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestParseServerWrites(t *testing.T) {
	cases := map[string]struct {
		reason  string
		metrics string
		want    map[string]float64
		wantErr bool
	}{
		"WritesByResource": {
			reason: "Writes of every code add up per verb, resource, group and subresource; reads and other metrics are ignored.",
			metrics: `# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 1000
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="DELETE",version="v1"} 2000
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="binding",verb="POST",version="v1"} 1000
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="status",verb="PATCH",version="v1"} 1500
apiserver_request_total{code="200",component="apiserver",dry_run="",group="kindnode.dev",resource="nodepods",scope="resource",subresource="status",verb="PUT",version="v1alpha1"} 3e+03
apiserver_request_total{code="409",component="apiserver",dry_run="",group="kindnode.dev",resource="nodepods",scope="resource",subresource="status",verb="PUT",version="v1alpha1"} 7
apiserver_request_total{code="200",component="apiserver",dry_run="",group="kindnode.dev",resource="nodepods",scope="resource",subresource="",verb="APPLY",version="v1alpha1"} 1
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 40
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="GET",version="v1"} 9
apiserver_request_duration_seconds_count{component="apiserver",resource="pods",verb="POST"} 1000
`,
			want: map[string]float64{
				"POST:pods": 1000, "DELETE:pods": 2000, "POST:pods/binding": 1000, "PATCH:pods/status": 1500,
				"PUT:nodepods.kindnode.dev/status": 3007, "APPLY:nodepods.kindnode.dev": 1,
			},
		},
		"NoWrites": {
			reason:  "Metrics without a write are an error, not zero writes: the API server always writes something.",
			metrics: "apiserver_request_total{code=\"200\",resource=\"pods\",verb=\"GET\"} 3\n",
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseServerWrites(strings.NewReader(tc.metrics))
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nparseServerWrites(...): error %v, want error %v", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" && !tc.wantErr {
				t.Errorf("%s\nparseServerWrites(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
