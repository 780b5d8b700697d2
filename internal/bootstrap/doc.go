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

// Package bootstrap turns Cluster API bootstrap data into the commands that
// bring a kind node up, and runs them inside the node Pod.
//
// Cluster API's kubeadm bootstrap provider writes cloud-config meant for
// cloud-init, but a kind node has no cloud-init. Instead of shipping one we
// translate the two modules kubeadm bootstrap data actually uses (write_files
// and runcmd) into plain argv commands and execute them through pods/exec.
// Parsing is pure so that it can be tested and fuzzed without a cluster.
package bootstrap
