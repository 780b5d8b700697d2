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

package nodenet

import (
	"bytes"
	"os"
	"path/filepath"
)

// WriteFileIfChanged writes data to path atomically, unless the file already holds it. It reports whether it
// wrote. The container runtime reads the CNI directory at any moment: it must never see half a file.
func WriteFileIfChanged(path string, data []byte) (bool, error) {
	// CNI configuration is world-readable, as the container runtime and every CNI plugin expect.
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) { //nolint:gosec // The path the caller writes.
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil { //nolint:gosec // See above.
		return false, err
	}
	// A name the runtime skips (it reads *.conf, *.conflist and *.json only) until the rename.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil { //nolint:gosec // See above.
		return false, err
	}
	return true, os.Rename(tmp, path)
}
