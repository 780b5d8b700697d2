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
	"context"
	"encoding/json"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/response"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Input of the function, the "input" of a Composition's pipeline step.
const (
	InputAPIVersion = "kindcluster.fn.kindnode.dev/v1alpha1"
	InputKind       = "Input"
)

// Mode selects what a KindCluster is composed of.
type Mode string

// Modes of the function.
const (
	// ModeCAPI composes Cluster API objects that use this provider as their infrastructure.
	ModeCAPI Mode = "capi"
	// ModeDirect composes NodeService and NodePods with bootstrap data of the function's own.
	ModeDirect Mode = "direct"
)

// ConditionClusterReady tells on the KindCluster (and its claim) what the inner cluster is waiting for.
const ConditionClusterReady = "ClusterReady"

// How soon Crossplane calls the function again: soon while a cluster comes up, to notice what it waits
// for, and at the SDK's default once it is ready.
const (
	ttlWaiting = 15 * time.Second
	ttlReady   = response.DefaultTTL
)

// Input is the function's input.
type Input struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Mode is capi or direct.
	Mode Mode `json:"mode"`
}

// Function composes KindClusters.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	// Log is where the function logs; a no-op logger when nil.
	Log logging.Logger
	// Generator makes the direct mode's certificates and token; RandomGenerator when nil.
	Generator Generator
	// Now is the clock certificates are issued by; time.Now when nil.
	Now func() time.Time
}

// RunFunction composes one KindCluster.
func (f *Function) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	log := f.Log
	if log == nil {
		log = logging.NewNopLogger()
	}
	rsp := response.To(req, ttlWaiting)
	in, err := ParseInput(req)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	oxr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot get the observed KindCluster"))
		return rsp, nil
	}
	log = log.WithValues("kindcluster", oxr.Resource.GetName(), "namespace", oxr.Resource.GetNamespace(), "mode", in.Mode)
	spec, err := json.Marshal(oxr.Resource.Object["spec"])
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot read the KindCluster's spec"))
		return rsp, nil
	}
	c, err := NewCluster(oxr.Resource.GetName(), oxr.Resource.GetNamespace(), spec)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "invalid KindCluster"))
		return rsp, nil
	}
	observed, err := request.GetObservedComposedResources(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot get the observed composed resources"))
		return rsp, nil
	}

	var out Output
	switch in.Mode {
	case ModeCAPI:
		out, err = CAPI(c, observed)
	case ModeDirect:
		out, err = Direct(c, observed, f.generator(), f.now())
	}
	if err != nil {
		response.Fatal(rsp, errors.Wrapf(err, "cannot compose KindCluster %s in mode %s", c.Name, in.Mode))
		return rsp, nil
	}

	desired, err := request.GetDesiredComposedResources(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot get the desired composed resources"))
		return rsp, nil
	}
	for name, r := range out.Resources {
		desired[name] = r
	}
	if err := response.SetDesiredComposedResources(rsp, desired); err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot set the desired composed resources"))
		return rsp, nil
	}
	if err := setStatus(req, rsp, out.Status); err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	for _, w := range out.Warnings {
		response.Warning(rsp, errors.New(w)).TargetCompositeAndClaim()
	}
	if out.Status.Ready {
		rsp.GetMeta().Ttl = durationpb.New(ttlReady)
		response.ConditionTrue(rsp, ConditionClusterReady, "Available").TargetCompositeAndClaim()
	} else {
		response.ConditionFalse(rsp, ConditionClusterReady, "Creating").WithMessage(out.Status.Message).TargetCompositeAndClaim()
	}
	log.Debug("composed KindCluster", "resources", len(out.Resources), "ready", out.Status.Ready, "message", out.Status.Message)
	return rsp, nil
}

// ParseInput reads and checks the function's input.
func ParseInput(req *fnv1.RunFunctionRequest) (Input, error) {
	var in Input
	if req.GetInput() == nil {
		return in, errors.Errorf("the function needs an input: apiVersion %s, kind %s, mode capi or direct", InputAPIVersion, InputKind)
	}
	b, err := protojson.Marshal(req.GetInput())
	if err != nil {
		return in, errors.Wrap(err, "cannot read the function's input")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, errors.Wrap(err, "cannot read the function's input")
	}
	if in.APIVersion != InputAPIVersion || in.Kind != InputKind {
		return in, errors.Errorf("the function's input is %s %s, not %s %s", in.APIVersion, in.Kind, InputAPIVersion, InputKind)
	}
	switch in.Mode {
	case ModeCAPI, ModeDirect:
		return in, nil
	}
	return in, errors.Errorf("the function's input has mode %q: it must be %q or %q", in.Mode, ModeCAPI, ModeDirect)
}

// setStatus writes the status fields into the desired KindCluster, keeping what earlier steps put there.
func setStatus(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, st Status) error {
	dxr, err := request.GetDesiredCompositeResource(req)
	if err != nil {
		return errors.Wrap(err, "cannot get the desired KindCluster")
	}
	b, err := json.Marshal(st)
	if err != nil {
		return errors.Wrap(err, "cannot write the KindCluster's status")
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		return errors.Wrap(err, "cannot write the KindCluster's status")
	}
	for k, v := range fields {
		if err := dxr.Resource.SetValue("status."+k, v); err != nil {
			return errors.Wrapf(err, "cannot set status.%s", k)
		}
	}
	return errors.Wrap(response.SetDesiredCompositeResource(rsp, dxr), "cannot set the desired KindCluster")
}

func (f *Function) generator() Generator {
	if f.Generator == nil {
		return RandomGenerator{}
	}
	return f.Generator
}

func (f *Function) now() time.Time {
	if f.Now == nil {
		return time.Now()
	}
	return f.Now()
}
