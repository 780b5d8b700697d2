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
	"regexp"
	"strings"
)

// Redacted replaces a secret in text that leaves the node.
const Redacted = "<redacted>"

var (
	// pemBlock is a PEM block: a private key in a command line or in what a step printed.
	pemBlock = regexp.MustCompile(`(?s)-----BEGIN [A-Z0-9 ]+-----.*?(-----END [A-Z0-9 ]+-----|$)`)
	// bootstrapToken is a kubeadm bootstrap token, <id>.<secret> (kubeadm's bootstraputil.BootstrapTokenPattern,
	// without its anchors).
	bootstrapToken = regexp.MustCompile(`\b[a-z0-9]{6}\.[a-z0-9]{16}\b`)
	// secretFlag is a command-line flag whose value is a secret, "--flag value" or "--flag=value": one whose
	// name ends in token, key, password or secret (kubeadm's --token, --certificate-key, --discovery-token,
	// --tls-bootstrap-token), and not one that only starts so (--discovery-token-ca-cert-hash).
	secretFlag = regexp.MustCompile(`(^|[\s'"])(--?[A-Za-z0-9-]*(?:token|key|password|passwd|secret))(=|[ \t]+)('[^']*'|"[^"]*"|[^\s'"-]\S*)`)
)

// Redact hides the secrets that a bootstrap command line or a step's output can hold: kubeadm bootstrap
// tokens, PEM blocks such as private keys, and the values of flags named for a token, key, password or
// secret. Bootstrap data is a Secret; what the provider reports of a run (condition messages, events, logs)
// is not, and goes through Redact.
func Redact(s string) string {
	if s == "" {
		return s
	}
	s = pemBlock.ReplaceAllString(s, Redacted)
	s = secretFlag.ReplaceAllString(s, "${1}${2}${3}"+Redacted)
	s = bootstrapToken.ReplaceAllString(s, Redacted)
	return strings.ToValidUTF8(s, "\uFFFD")
}
