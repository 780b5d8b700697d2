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

// Command function-kindcluster serves the KindCluster composition function over gRPC, as Crossplane runs
// functions: with mTLS certificates from TLS_SERVER_CERTS_DIR, or --insecure for crossplane composition
// render's Development runtime.
package main

import (
	"fmt"
	"os"

	function "github.com/crossplane/function-sdk-go"
	"github.com/spf13/pflag"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/function/kindcluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "function-kindcluster:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := pflag.CommandLine
	var (
		debug    = fs.Bool("debug", false, "Log at debug level.")
		address  = fs.String("address", ":9443", "Where the gRPC server listens.")
		certsDir = fs.String("tls-certs-dir", os.Getenv("TLS_SERVER_CERTS_DIR"), "Directory with tls.crt, tls.key and ca.crt for mTLS; Crossplane sets TLS_SERVER_CERTS_DIR.")
		insecure = fs.Bool("insecure", false, "Serve without mTLS, for local development (crossplane composition render).")
		maxMsg   = fs.Int("max-recv-message-size", 4<<20, "The largest request in bytes.")
	)
	pflag.Parse()

	log, err := function.NewLogger(*debug)
	if err != nil {
		return err
	}
	return function.Serve(&kindcluster.Function{Log: log},
		function.Listen("tcp", *address),
		function.MTLSCertificates(*certsDir),
		function.Insecure(*insecure),
		function.MaxRecvMessageSize(*maxMsg))
}
