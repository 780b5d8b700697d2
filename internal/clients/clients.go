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

// Package clients connects the provider to outer clusters: the clusters that run node Pods. A connection is
// made once per set of credentials and shared by every managed resource that uses them; its informer caches
// see only the provider's own objects and turn their changes into reconcile requests at once.
package clients

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/kindnode"
)

const (
	errKubeconfig = "cannot build a client configuration from the kubeconfig"
	errNewCache   = "cannot create informer cache for the outer cluster"
	errNewClient  = "cannot create client for the outer cluster"
	errInformer   = "cannot watch objects in the outer cluster"
	errSync       = "cannot sync informer caches with the outer cluster within %s; check that it is reachable and that the credentials may list and watch Pods, Services, PersistentVolumeClaims and PodDisruptionBudgets"

	// injectedKey names the connection made with the provider's own identity.
	injectedKey = "injected-identity"
)

// A Cluster is a connection to one outer cluster.
type Cluster struct {
	// Config reaches the outer cluster; pods/exec uses it directly.
	Config *rest.Config
	// Client reads the provider's Pods, Services, PersistentVolumeClaims and PodDisruptionBudgets from
	// informer caches, Nodes from the API server, and writes to the API server.
	Client client.Client
	// Core reaches what Client cannot: the node's network status, through pods/proxy.
	Core corev1client.CoreV1Interface

	// zones follows the zones of the cluster's Nodes once Registry.Zones asks for them.
	zones  *zoneTracker
	cancel context.CancelFunc
}

// An Event is a change the informer of an outer cluster saw.
type Event struct {
	// Object is the object as it is now; as it was last seen when it was deleted.
	Object client.Object
	// Old is the object before an update; nil when it was added or deleted.
	Old client.Object
	// Deleted is set when the object is gone.
	Deleted bool
}

// An EventSink receives every change the informers of any outer cluster see.
type EventSink func(Event)

// A Registry holds one Cluster per set of credentials and creates them on demand.
type Registry struct {
	local       *rest.Config
	scheme      *runtime.Scheme
	syncTimeout time.Duration

	connecting singleflight.Group

	mu       sync.Mutex
	clusters map[string]*Cluster
	sinks    []EventSink
	// zoneWatchers is the cluster whose zones each object asked for last; zoneSinks hear of them.
	zoneWatchers map[kindnode.Owner]*Cluster
	zoneSinks    []func(kindnode.Owner)
}

// A RegistryOption configures a Registry.
type RegistryOption func(*Registry)

// WithSyncTimeout bounds how long a new connection may take to fill its caches.
func WithSyncTimeout(d time.Duration) RegistryOption {
	return func(r *Registry) { r.syncTimeout = d }
}

// NewRegistry returns a Registry. local is the provider's own cluster, used for InjectedIdentity.
func NewRegistry(local *rest.Config, s *runtime.Scheme, o ...RegistryOption) *Registry {
	r := &Registry{local: local, scheme: s, syncTimeout: 30 * time.Second, clusters: map[string]*Cluster{}, zoneWatchers: map[kindnode.Owner]*Cluster{}}
	for _, fn := range o {
		fn(r)
	}
	return r
}

// AddSink registers fn to receive the changes of the provider's objects in every outer cluster, including
// clusters connected before the call.
func (r *Registry) AddSink(fn EventSink) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sinks = append(r.sinks, fn)
}

func (r *Registry) emit(e Event) {
	r.mu.Lock()
	sinks := r.sinks
	r.mu.Unlock()
	for _, fn := range sinks {
		fn(e)
	}
}

// InjectedIdentity returns the connection to the cluster the provider runs in.
func (r *Registry) InjectedIdentity(ctx context.Context) (*Cluster, error) {
	return r.get(ctx, injectedKey, func() (*rest.Config, error) { return rest.CopyConfig(r.local), nil })
}

// Kubeconfig returns the connection described by a kubeconfig. It is limited to as many requests per second
// as the provider's own cluster: client-go's default of five would hold every reconcile back.
func (r *Registry) Kubeconfig(ctx context.Context, kubeconfig []byte) (*Cluster, error) {
	return r.get(ctx, kubeconfigKey(kubeconfig), func() (*rest.Config, error) {
		cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
		if err != nil {
			return nil, errors.Wrap(err, errKubeconfig)
		}
		if r.local != nil {
			cfg.QPS, cfg.Burst = r.local.QPS, r.local.Burst
		}
		return cfg, nil
	})
}

// kubeconfigKey names the connection a kubeconfig makes: a changed kubeconfig makes another.
func kubeconfigKey(kubeconfig []byte) string {
	sum := sha256.Sum256(kubeconfig)
	return "kubeconfig-" + hex.EncodeToString(sum[:])
}

func (r *Registry) get(ctx context.Context, key string, config func() (*rest.Config, error)) (*Cluster, error) {
	if c, ok := r.cached(key); ok {
		return c, nil
	}
	// One connection per cluster however many reconciles ask at once; other clusters do not wait for it.
	v, err, _ := r.connecting.Do(key, func() (any, error) {
		if c, ok := r.cached(key); ok {
			return c, nil
		}
		cfg, err := config()
		if err != nil {
			return nil, err
		}
		c, err := r.connect(ctx, cfg)
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.clusters[key] = c
		r.mu.Unlock()
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Cluster), nil //nolint:forcetypeassert // Do only returns what the function above returns.
}

func (r *Registry) cached(key string) (*Cluster, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.clusters[key]
	return c, ok
}

// +kubebuilder:rbac:groups="",resources=pods;services;persistentvolumeclaims,verbs=get;list;watch
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch

// watched are the kinds the provider creates in outer clusters; each connection's informers list and watch
// those with the provider's label.
func watched() []client.Object {
	return []client.Object{&corev1.Pod{}, &corev1.Service{}, &corev1.PersistentVolumeClaim{}, &policyv1.PodDisruptionBudget{}}
}

func (r *Registry) connect(ctx context.Context, cfg *rest.Config) (*Cluster, error) {
	// Everything the provider reads and writes in an outer cluster is a built-in kind, which the API server
	// encodes as protobuf for a fraction of the CPU time JSON takes, in every watch event and every response.
	pcfg := rest.CopyConfig(cfg)
	pcfg.ContentType = runtime.ContentTypeProtobuf
	pcfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	ca, err := cache.New(pcfg, cache.Options{
		Scheme: r.scheme,
		// Only the provider's own objects: an outer cluster may run many unrelated Pods. Nodes are not the
		// provider's, and every one of them may hold a zone; the informer keeps only what zones need of them.
		DefaultLabelSelector: labels.SelectorFromSet(labels.Set{kindnode.LabelManaged: kindnode.LabelManagedValue}),
		DefaultTransform:     cache.TransformStripManagedFields(),
		ByObject:             map[client.Object]cache.ByObject{outerNode(): {Label: labels.Everything(), Transform: nodeFields}},
	})
	if err != nil {
		return nil, errors.Wrap(err, errNewCache)
	}
	cctx, cancel := context.WithCancel(context.Background())
	for _, obj := range watched() {
		inf, err := ca.GetInformer(cctx, obj, cache.BlockUntilSynced(false))
		if err != nil {
			cancel()
			return nil, errors.Wrap(err, errInformer)
		}
		if _, err := inf.AddEventHandler(handlerFuncs{emit: r.emit}); err != nil {
			cancel()
			return nil, errors.Wrap(err, errInformer)
		}
	}
	go func() { _ = ca.Start(cctx) }()

	sctx, scancel := context.WithTimeout(ctx, r.syncTimeout)
	defer scancel()
	if !ca.WaitForCacheSync(sctx) {
		cancel()
		return nil, errors.Errorf(errSync, r.syncTimeout)
	}
	// Nodes are read from the API server: a Node is read only now and then (is the one of a terminating node
	// Pod lost?), and through the cache the first read would wait on a list that credentials without
	// permission on Nodes never get.
	cl, err := client.New(pcfg, client.Options{Scheme: r.scheme, Cache: &client.CacheOptions{Reader: ca, DisableFor: []client.Object{&corev1.Node{}}}})
	if err != nil {
		cancel()
		return nil, errors.Wrap(err, errNewClient)
	}
	// Subresources controller-runtime's client does not reach: pods/proxy answers in the Pod's own format.
	core, err := corev1client.NewForConfig(cfg)
	if err != nil {
		cancel()
		return nil, errors.Wrap(err, errNewClient)
	}
	// Reconciles read what they created a moment ago: a node Pod the cache has not seen yet would be
	// created again.
	c := &Cluster{Config: cfg, Client: NewConsistentClient(cl), Core: core, cancel: cancel}
	c.zones = newZoneTracker(ca, r.syncTimeout, func() { r.zonesChanged(c) })
	return c, nil
}

// Close stops every connection's informers.
func (r *Registry) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, c := range r.clusters {
		c.cancel()
		delete(r.clusters, k)
	}
}
