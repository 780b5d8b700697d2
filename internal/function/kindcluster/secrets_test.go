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

package kindcluster

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zapcore"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	bootstraputil "k8s.io/cluster-bootstrap/token/util"
	crzap "sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// secretMinLength is the shortest Secret value looked for as a whole: shorter values are formats such as
// "cloud-config", which other objects may name without leaking anything. The secret half of a bootstrap
// token, the shortest secret there is, has 16 characters.
const secretMinLength = 16

// secretPartMinLength is the shortest run of base64 characters inside a Secret value that is looked for on
// its own, so that a leak of part of a value is caught too: a PEM body line has 64, a kubeconfig's
// client-key-data is one run, and shorter runs are words and paths of the cloud-config's commands.
const secretPartMinLength = 40

// Names of the values whose presence in the composed Secrets the test checks, so that it cannot pass by
// looking for nothing or by not seeing what it looks for.
const (
	valueBootstrapToken = "bootstrap token"
	valueCAKey          = "cluster CA key"
	valueEarlierStep    = "canary of an earlier step's Secret"
)

// Where canaries come into the function besides the direct mode's own Secrets.
const (
	resEarlierStep = "earlier-step-secret"
	credentials    = "earlier-step-credentials"
)

// secretValues maps each value a secret may leak as to where it comes from.
type secretValues map[string]string

// add records v, the base64 runs inside it and, for a bootstrap token, its secret half.
func (s secretValues) add(origin string, v []byte) {
	for i, part := range secretParts(v) {
		if i == 0 {
			s[part] = origin
		} else if _, ok := s[part]; !ok {
			s[part] = origin + " (part)"
		}
	}
}

// secretParts are v, if long enough, then its parts that are looked for on their own: the secret half of a
// bootstrap token and the base64 runs of secretPartMinLength or more. A PEM key written into the
// cloud-config is indented, so only its lines are found there.
func secretParts(v []byte) []string {
	str := string(v)
	var parts []string
	if len(str) >= secretMinLength {
		parts = append(parts, str)
	}
	if bootstraputil.IsValidBootstrapToken(str) {
		_, secret, _ := strings.Cut(str, ".")
		parts = append(parts, secret)
	}
	for _, part := range strings.FieldsFunc(str, func(r rune) bool { return !isBase64(r) }) {
		if len(part) >= secretPartMinLength && part != str {
			parts = append(parts, part)
		}
	}
	return parts
}

func isBase64(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '='
}

// hit is a value found, with where it was found.
type hit struct{ value, where string }

// find walks v, a JSON value, and returns where it holds any of values: in a string, a string's base64
// decoding (as Secret data and connection details are shown) or a key.
func find(values secretValues, where string, v any) []hit {
	var hits []hit
	look := func(where, s string) {
		texts := []string{s}
		if len(s) >= secretMinLength {
			if d, err := base64.StdEncoding.DecodeString(s); err == nil {
				texts = append(texts, string(d))
			}
		}
		for value := range values {
			for _, text := range texts {
				if strings.Contains(text, value) {
					hits = append(hits, hit{value: value, where: where})
					break
				}
			}
		}
	}
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				look(where+"."+k+" (the key)", k)
				walk(where+"."+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", where, i), e)
			}
		case string:
			look(where, v)
		}
	}
	walk(where, v)
	return hits
}

// asSecret reads o as a Secret, with its stringData merged into its data; false if it is not one.
func asSecret(t *testing.T, o *structpb.Struct) (*corev1.Secret, bool) {
	t.Helper()
	if o.GetFields()["apiVersion"].GetStringValue() != "v1" || o.GetFields()["kind"].GetStringValue() != "Secret" {
		return nil, false
	}
	s := &corev1.Secret{}
	if err := (Observed{}).fromStruct(o, s); err != nil {
		t.Fatalf("cannot read Secret: %v", err)
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	return s, true
}

// givenSecrets returns the values of every Secret the function is given, and of its credentials. It must
// run before the function: the response's desired state is the request's, which the function fills in.
func givenSecrets(t *testing.T, req *fnv1.RunFunctionRequest) secretValues {
	t.Helper()
	values := secretValues{}
	for name, r := range req.GetObserved().GetResources() {
		values.addSecret(t, "observed ("+name+") Secret", r.GetResource())
	}
	for name, r := range req.GetDesired().GetResources() {
		values.addSecret(t, "earlier step's ("+name+") Secret", r.GetResource())
	}
	for name, rs := range req.GetRequiredResources() {
		for _, r := range rs.GetItems() {
			values.addSecret(t, "required ("+name+") Secret", r.GetResource())
		}
	}
	for name, c := range req.GetCredentials() {
		for k, v := range c.GetCredentialData().GetData() {
			values.add("credentials "+name+" key "+k, v)
		}
	}
	return values
}

// addSecret records the values of o's data if o is a Secret.
func (s secretValues) addSecret(t *testing.T, origin string, o *structpb.Struct) {
	t.Helper()
	if sec, ok := asSecret(t, o); ok {
		for k, v := range sec.Data {
			s.add(origin+" "+sec.Name+" key "+k, v)
		}
	}
}

// shown is the response as JSON without the data of the Secrets it composes, the one place secrets belong:
// every other composed resource, a Secret's metadata, the KindCluster's desired status and connection
// details, results (which Crossplane turns into events), conditions, context and output.
func shown(t *testing.T, rsp *fnv1.RunFunctionResponse) map[string]any {
	t.Helper()
	b, err := protojson.Marshal(rsp)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	desired, _ := out["desired"].(map[string]any)
	resources, _ := desired["resources"].(map[string]any)
	for _, r := range resources {
		r, _ := r.(map[string]any)
		o, _ := r["resource"].(map[string]any)
		if o["apiVersion"] == "v1" && o["kind"] == "Secret" {
			delete(o, "data")
			delete(o, "stringData")
		}
	}
	return out
}

// logEntries parses the captured JSON log, one entry a line; a line that is not JSON is kept as a string.
func logEntries(buf *bytes.Buffer) []any {
	var entries []any
	for line := range strings.Lines(buf.String()) {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			entries = append(entries, line)
			continue
		}
		entries = append(entries, e)
	}
	return entries
}

// secretStruct is a Secret as Crossplane passes it to the function.
func secretStruct(t *testing.T, name string, data map[string][]byte) *structpb.Struct {
	t.Helper()
	return typed(t, &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a"},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	})
}

// canary is a value nothing holds by chance.
func canary() string { return "CANARY-" + rand.Text() }

// TestSecretsStaySecret proves that no secret the function composes or is given leaves the data of a
// Secret: in both modes and at every step from nothing to a ready cluster, and when the cluster
// certificates Secret is damaged, no value of any Secret's data (the CA and service account keys, the
// bootstrap token, the admin key, the bootstrap data and kubeconfig, canaries of earlier pipeline steps and
// credentials), nor a PEM line or other long base64 run of one, appears in any other composed resource,
// any Secret's metadata, the KindCluster's desired status, a result or condition, the context, or the
// function's log at its most verbose level. The certificates are real, from RandomGenerator. It also checks
// that the values it looks for are where they belong, so that it cannot pass by looking for nothing.
func TestSecretsStaySecret(t *testing.T) {
	xr := kindCluster("  kubernetesVersion: v1.37.2\n  controlPlane: {replicas: 3}\n  workers: {replicas: 2}\n")
	later := testNow.Add(adminValidity - adminRenewBefore + time.Hour)

	p, err := RandomGenerator{}.NewPKI(testNow)
	if err != nil {
		t.Fatal(err)
	}
	// The bootstrap data and kubeconfig Secrets come back observed as the function composed them.
	certificates := map[string]*structpb.Struct{"pki": observedPKI(t, p), "endpoint": observedNodeService(t)}
	first := run(t, &Function{Generator: failingGenerator{t}, Now: func() time.Time { return testNow }},
		newRequest(t, testInputDirect, xr, certificates))
	upTo := func(nodes map[string]bool) map[string]*structpb.Struct {
		o := map[string]*structpb.Struct{"pki": observedPKI(t, p), "endpoint": observedNodeService(t)}
		for _, n := range []string{"bootstrap-init", "bootstrap-control-plane", "bootstrap-worker", "kubeconfig"} {
			o[n] = first.GetDesired().GetResources()[n].GetResource()
		}
		for n, ready := range nodes {
			o[n] = observedNode(t, "demo-"+n, ready)
		}
		return o
	}
	allReady := map[string]bool{"control-plane-0": true, "control-plane-1": true, "control-plane-2": true, "worker-0": true, "worker-1": true}
	damaged := func(key string, v []byte) map[string]*structpb.Struct {
		d := p.SecretData()
		d[key] = v
		return map[string]*structpb.Struct{"pki": secretStruct(t, "demo-pki", d), "endpoint": observedNodeService(t)}
	}
	// A key that is PEM, but not a key: a canary of 48 bytes, one line of 64 base64 characters.
	canaryKey := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte(canary() + canary())[:48]})

	// Cluster API writes the capi mode's kubeconfig Secret; the function does not read it, but it would be
	// a required resource if it did.
	capiKubeconfig, err := Kubeconfig(Cluster{Name: "demo", Namespace: "team-a"}, p, Endpoint{Host: "10.96.12.34", Port: 6443})
	if err != nil {
		t.Fatal(err)
	}
	capiCluster := func(status string) *structpb.Struct {
		return withStatus(t, object(t, "apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata: {name: demo, namespace: team-a}\nspec:\n  controlPlaneEndpoint: {host: 10.96.12.34, port: 6443}"), status)
	}
	capiControlPlane := func(ready int) *structpb.Struct {
		return withStatus(t, object(t, "apiVersion: controlplane.cluster.x-k8s.io/v1beta2\nkind: KubeadmControlPlane\nmetadata: {name: demo-control-plane, namespace: team-a}"),
			"replicas: 3\nreadyReplicas: "+itoa(ready)+"\nconditions: [{type: Available, status: 'True'}]")
	}
	capiWorkers := withStatus(t, object(t, "apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineDeployment\nmetadata: {name: demo-md-0, namespace: team-a}"),
		"replicas: 2\nreadyReplicas: 2\nconditions: [{type: Available, status: 'True'}]")

	// Which composed Secrets hold the named values, once the direct mode has an endpoint.
	directSecrets := map[string][]string{
		valueBootstrapToken: {"bootstrap-control-plane", "bootstrap-init", "bootstrap-worker", "pki"},
		valueCAKey:          {"bootstrap-control-plane", "bootstrap-init", "pki"},
		valueEarlierStep:    {resEarlierStep},
	}
	// What the function logs on every call that composes.
	composedLog := []string{"debug: composed KindCluster"}

	cases := map[string]struct {
		reason   string
		input    string
		xr       string
		observed map[string]*structpb.Struct
		required map[string]*structpb.Struct
		now      time.Time
		// holders are the composed Secrets that hold each named value.
		holders map[string][]string
		// log is the level and message of each log entry.
		log []string
		// fatal is the start of the fatal result expected, if any.
		fatal string
	}{
		"Direct/Nothing": {
			reason:  "The first call generates the cluster certificates.",
			input:   testInputDirect,
			xr:      xr,
			holders: map[string][]string{valueBootstrapToken: {"pki"}, valueCAKey: {"pki"}, valueEarlierStep: {resEarlierStep}},
			log:     composedLog,
		},
		"Direct/CertificatesObserved": {
			reason: "The cluster certificates are read back, while the endpoint has no address.",
			input:  testInputDirect,
			xr:     xr,
			observed: map[string]*structpb.Struct{"pki": observedPKI(t, p),
				"endpoint": object(t, "apiVersion: kindnode.dev/v1alpha1\nkind: NodeService\nmetadata: {name: demo, namespace: team-a}")},
			holders: map[string][]string{valueBootstrapToken: {"pki"}, valueCAKey: {"pki"}, valueEarlierStep: {resEarlierStep}},
			log:     composedLog,
		},
		"Direct/EndpointObserved": {
			reason:   "The bootstrap data, the kubeconfig and the first NodePod are composed.",
			input:    testInputDirect,
			xr:       xr,
			observed: certificates,
			holders:  directSecrets,
			log:      composedLog,
		},
		"Direct/NodesJoining": {
			reason: "Nodes join, one says why it is not ready, and the observed Secrets hold what was composed.",
			input:  testInputDirect,
			xr:     xr,
			observed: func() map[string]*structpb.Struct {
				o := upTo(map[string]bool{"control-plane-0": true, "worker-0": true})
				o["control-plane-1"] = withStatus(t, object(t, "apiVersion: kindnode.dev/v1alpha1\nkind: NodePod\nmetadata: {name: demo-control-plane-1, namespace: team-a}"),
					"conditions: [{type: Ready, status: 'False', reason: Bootstrapping, message: 'kubeadm join is running'}]")
				return o
			}(),
			holders: directSecrets,
			log:     composedLog,
		},
		"Direct/Ready": {
			reason:   "Every node is ready.",
			input:    testInputDirect,
			xr:       xr,
			observed: upTo(allReady),
			holders:  directSecrets,
			log:      composedLog,
		},
		"Direct/AdminRenewed": {
			reason:   "A new admin key goes into the certificates and kubeconfig Secrets only.",
			input:    testInputDirect,
			xr:       xr,
			observed: upTo(allReady),
			now:      later,
			holders:  directSecrets,
			log:      composedLog,
		},
		// RunFunction logs nothing when it returns a fatal result, so only the response is searched.
		"Direct/DamagedKey": {
			reason:   "A CA key that does not parse is not quoted in the fatal result.",
			input:    testInputDirect,
			xr:       xr,
			observed: damaged(keyCAKey, canaryKey),
			holders:  map[string][]string{valueEarlierStep: {resEarlierStep}},
			fatal:    "cannot compose KindCluster demo in mode direct: Secret demo-pki holds no usable cluster certificates",
		},
		"Direct/DamagedToken": {
			reason:   "A bootstrap token that is not one is not quoted in the fatal result.",
			input:    testInputDirect,
			xr:       xr,
			observed: damaged(keyBootstrapToken, []byte(canary())),
			holders:  map[string][]string{valueEarlierStep: {resEarlierStep}},
			fatal:    "cannot compose KindCluster demo in mode direct: Secret demo-pki holds no usable cluster certificates",
		},
		"CAPI/Nothing": {
			reason:   "Cluster API's objects are composed.",
			input:    testInputCAPI,
			xr:       xr,
			required: map[string]*structpb.Struct{"kubeconfig": secretStruct(t, "demo-kubeconfig", map[string][]byte{keyBootstrapValue: capiKubeconfig})},
			holders:  map[string][]string{valueEarlierStep: {resEarlierStep}},
			log:      composedLog,
		},
		"CAPI/ControlPlaneComing": {
			reason:   "The status counts nodes and names the endpoint.",
			input:    testInputCAPI,
			xr:       xr,
			observed: map[string]*structpb.Struct{"cluster": capiCluster("conditions: [{type: Available, status: 'False'}]"), "control-plane": capiControlPlane(1)},
			required: map[string]*structpb.Struct{"kubeconfig": secretStruct(t, "demo-kubeconfig", map[string][]byte{keyBootstrapValue: capiKubeconfig})},
			holders:  map[string][]string{valueEarlierStep: {resEarlierStep}},
			log:      composedLog,
		},
		"CAPI/Ready": {
			reason: "The status names the kubeconfig Secret.",
			input:  testInputCAPI,
			xr:     xr,
			observed: map[string]*structpb.Struct{
				"cluster":       capiCluster("initialization: {infrastructureProvisioned: true, controlPlaneInitialized: true}\nconditions: [{type: Available, status: 'True'}]"),
				"control-plane": capiControlPlane(3),
				"workers":       capiWorkers,
			},
			required: map[string]*structpb.Struct{"kubeconfig": secretStruct(t, "demo-kubeconfig", map[string][]byte{keyBootstrapValue: capiKubeconfig})},
			holders:  map[string][]string{valueEarlierStep: {resEarlierStep}},
			log:      composedLog,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			now := testNow
			if !tc.now.IsZero() {
				now = tc.now
			}
			var buf bytes.Buffer
			// crossplane-runtime's logr logger over zap (controller-runtime's zapr setup) at every level, so that
			// Debug and any V(n) are captured.
			log := logging.NewLogrLogger(crzap.New(crzap.WriteTo(&buf), crzap.Level(zapcore.Level(math.MinInt8))))
			f := &Function{Log: log, Now: func() time.Time { return now }}

			// An earlier step of the pipeline composed a Secret of its own, which comes back observed, and
			// the step has credentials: the function passes the one on and must not copy either.
			earlier := []byte(canary())
			observed := map[string]*structpb.Struct{resEarlierStep: secretStruct(t, "demo-earlier", map[string][]byte{"token": earlier})}
			for n, o := range tc.observed {
				observed[n] = o
			}
			req := newRequest(t, tc.input, tc.xr, observed)
			req.Desired = &fnv1.State{Resources: map[string]*fnv1.Resource{
				resEarlierStep: {Resource: secretStruct(t, "demo-earlier", map[string][]byte{"token": earlier})},
			}}
			req.Credentials = map[string]*fnv1.Credentials{credentials: {Source: &fnv1.Credentials_CredentialData{
				CredentialData: &fnv1.CredentialData{Data: map[string][]byte{"password": []byte(canary())}},
			}}}
			for n, o := range tc.required {
				if req.RequiredResources == nil {
					req.RequiredResources = map[string]*fnv1.Resources{}
				}
				req.RequiredResources[n] = &fnv1.Resources{Items: []*fnv1.Resource{{Resource: o}}}
			}

			values := givenSecrets(t, req)
			rsp, err := f.RunFunction(t.Context(), req)
			if err != nil {
				t.Fatalf("RunFunction: %v", err)
			}
			var fatal string
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
					fatal = r.GetMessage()
				}
			}
			if !strings.HasPrefix(fatal, tc.fatal) || (tc.fatal == "") != (fatal == "") {
				t.Fatalf("%s\nfatal result: want %q..., got %q", tc.reason, tc.fatal, fatal)
			}

			for name, r := range rsp.GetDesired().GetResources() {
				values.addSecret(t, "composed ("+name+") Secret", r.GetResource())
			}
			t.Logf("%d secret values looked for", len(values))

			// Positive control: the named values are found in the composed Secrets that should hold them.
			named := secretValues{}
			pki := rsp.GetDesired().GetResources()["pki"].GetResource()
			if pki == nil {
				pki = req.GetObserved().GetResources()["pki"].GetResource()
			}
			if s, ok := asSecret(t, pki); ok {
				named.add(valueBootstrapToken, s.Data[keyBootstrapToken])
				named.add(valueCAKey, s.Data[keyCAKey])
			}
			named.add(valueEarlierStep, earlier)
			holders := map[string][]string{}
			for name, r := range rsp.GetDesired().GetResources() {
				s, ok := asSecret(t, r.GetResource())
				if !ok {
					continue
				}
				if len(s.Data) == 0 {
					t.Errorf("composed Secret %s has no data", name)
				}
				for _, h := range find(named, name, r.GetResource().AsMap()["data"]) {
					value := strings.TrimSuffix(named[h.value], " (part)")
					if !slices.Contains(holders[value], name) {
						holders[value] = append(holders[value], name)
					}
				}
			}
			for _, v := range holders {
				slices.Sort(v)
			}
			want := map[string][]string{}
			for k, v := range tc.holders {
				if len(v) > 0 {
					want[k] = v
				}
			}
			if diff := cmp.Diff(want, holders); diff != "" {
				t.Errorf("%s\ncomposed Secrets holding each value (-want +got):\n%s", tc.reason, diff)
			}
			for v := range named {
				if _, ok := values[v]; !ok {
					t.Errorf("%s is not among the secret values looked for", named[v])
				}
			}

			// Positive control: the log holds what the function logs, at debug level.
			entries := logEntries(&buf)
			var got []string
			for _, e := range entries {
				m, _ := e.(map[string]any)
				got = append(got, fmt.Sprintf("%v: %v", m["level"], m["msg"]))
			}
			if diff := cmp.Diff(tc.log, got); diff != "" {
				t.Errorf("%s\nlog entries (-want +got):\n%s\n%s", tc.reason, diff, buf.String())
			}

			// No secret value anywhere else.
			hits := find(values, "response", shown(t, rsp))
			for i, e := range entries {
				hits = append(hits, find(values, fmt.Sprintf("log entry %d", i), e)...)
			}
			var leaks []string
			for _, h := range hits {
				leaks = append(leaks, fmt.Sprintf("%s (%.12s...) is in %s", values[h.value], h.value, h.where))
			}
			slices.Sort(leaks)
			if len(leaks) > 0 {
				t.Errorf("%s\nsecrets outside the data of composed Secrets:\n%s", tc.reason, strings.Join(leaks, "\n"))
			}
		})
	}
}
