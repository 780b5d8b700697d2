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

package bootstrap

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedact(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"Empty": {
			reason: "nothing to hide",
			in:     "",
			want:   "",
		},
		"PlainCommand": {
			reason: "a command line without secrets is left as it is",
			in:     "kubeadm join --config /run/kubeadm/kubeadm-join-config.yaml --ignore-preflight-errors=all",
			want:   "kubeadm join --config /run/kubeadm/kubeadm-join-config.yaml --ignore-preflight-errors=all",
		},
		"TokenFlag": {
			reason: "the value of --token is hidden, and so is the token's pattern wherever it stands",
			in:     "kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:9f86d0",
			want:   "kubeadm join 10.0.0.1:6443 --token <redacted> --discovery-token-ca-cert-hash sha256:9f86d0",
		},
		"FlagWithEquals": {
			reason: "--flag=value hides the value too",
			in:     "kubeadm join --certificate-key=4e3f2a --tls-bootstrap-token=s3cr3t x",
			want:   "kubeadm join --certificate-key=<redacted> --tls-bootstrap-token=<redacted> x",
		},
		"QuotedValue": {
			reason: "a quoted value is hidden whole",
			in:     `login --password 'two words' --user admin`,
			want:   `login --password <redacted> --user admin`,
		},
		"BooleanFlagBeforeAnother": {
			reason: "a flag without a value does not take the next flag as its value",
			in:     "kubeadm join --discovery-token-unsafe-skip-ca-verification --config x.yaml",
			want:   "kubeadm join --discovery-token-unsafe-skip-ca-verification --config x.yaml",
		},
		"WordsThatAreNotFlags": {
			reason: "prose that mentions a key is not a flag",
			in:     "the api-key file is missing; a token was expected",
			want:   "the api-key file is missing; a token was expected",
		},
		"TokenInOutput": {
			reason: "a bootstrap token printed by a step is hidden",
			in:     "error: token abcdef.0123456789abcdef has expired",
			want:   "error: token <redacted> has expired",
		},
		"PEMBlock": {
			reason: "a private key printed by a step is hidden, block and all",
			in:     "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nafter",
			want:   "before\n<redacted>\nafter",
		},
		"CutPEMBlock": {
			reason: "a PEM block cut off by the output's tail is hidden to its end",
			in:     "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI",
			want:   "<redacted>",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Redact(tc.in)); diff != "" {
				t.Errorf("%s\nRedact(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestFailedStepHidesSecrets(t *testing.T) {
	cmds, err := Parse(FormatCloudConfig, []byte("#cloud-config\nruncmd:\n- [kubeadm, join, --token, abcdef.0123456789abcdef]\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &Failure{Step: 1, Exit: "1", Output: "[discovery] token abcdef.0123456789abcdef rejected\n"}
	got := (&StepError{Step: 1, Total: len(cmds), Command: cmds[len(cmds)-1], Err: f}).Error()
	want := "bootstrap step 1 of 1 (run kubeadm join --token <redacted>) failed: exited with code 1: [discovery] token <redacted> rejected"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("a failed step's message shows a secret: -want, +got:\n%s", diff)
	}
}
