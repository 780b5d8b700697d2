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

package clients

import (
	kcache "k8s.io/client-go/tools/cache"
)

// handlerFuncs forwards every informer notification, including the final state of a deleted object, so a
// managed resource learns at once that its Pod is gone.
type handlerFuncs struct {
	emit func(obj any)
}

var _ kcache.ResourceEventHandler = handlerFuncs{}

func (h handlerFuncs) OnAdd(obj any, _ bool)  { h.emit(obj) }
func (h handlerFuncs) OnUpdate(_, newObj any) { h.emit(newObj) }
func (h handlerFuncs) OnDelete(obj any) {
	if final, ok := obj.(kcache.DeletedFinalStateUnknown); ok {
		obj = final.Obj
	}
	h.emit(obj)
}
