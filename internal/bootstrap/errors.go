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
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Parse returns errors that wrap one of these sentinels, so that a controller
// can pick a condition reason with errors.Is while the message still names
// the offending module, field or value.
var (
	// ErrUnsupportedFormat means the bootstrap data is not cloud-config.
	ErrUnsupportedFormat = errors.New("unsupported bootstrap data format")
	// ErrMissingHeader means cloud-config data does not start with #cloud-config.
	ErrMissingHeader = errors.New("bootstrap data does not start with a #cloud-config line")
	// ErrUnsupportedTemplate means the cloud-config needs Jinja rendering from instance metadata.
	ErrUnsupportedTemplate = errors.New("bootstrap data uses Jinja templating, which a kind node cannot render")
	// ErrMalformed means the cloud-config is not YAML of the expected shape.
	ErrMalformed = errors.New("malformed cloud-config")
	// ErrUnsupportedModule means the cloud-config uses a module we do not implement.
	ErrUnsupportedModule = errors.New("unsupported cloud-config module")
	// ErrUnsupportedEncoding means a write_files entry has an unknown encoding.
	ErrUnsupportedEncoding = errors.New("unsupported write_files encoding")
	// ErrInvalidContent means write_files content cannot be decoded with its encoding.
	ErrInvalidContent = errors.New("cannot decode write_files content")
	// ErrTooLarge means file contents and commands expand to more than 64 MiB.
	ErrTooLarge = errors.New("bootstrap data expands to more than 64 MiB")
	// ErrInvalidPermissions means write_files permissions are not an octal mode such as 0644.
	ErrInvalidPermissions = errors.New("invalid write_files permissions, want an octal mode such as 0644")
	// ErrInvalidPath means a write_files path is missing, relative or names a directory.
	ErrInvalidPath = errors.New("invalid write_files path, want an absolute file path")
	// ErrInvalidOwner means a write_files owner is not of the form user or user:group.
	ErrInvalidOwner = errors.New("invalid write_files owner, want user or user:group")
)
