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

package controller_test

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kindnode/cluster-api-provider-kubernetes/apis/kindnode/v1alpha1"
)

// The API server itself must turn bad specs away, with a message that says what is wrong.
func TestInvalidSpecsAreRejected(t *testing.T) {
	ns := newNamespace(t)
	cases := map[string]struct {
		reason string
		obj    client.Object
		want   string
	}{
		"NoImageNorVersion": {
			reason: "A node needs an image, given directly or through a Kubernetes version.",
			obj:    newNodePod(ns, "a", func(np *v1alpha1.NodePod) { np.Spec.ForProvider.KubernetesVersion = "" }),
			want:   "one of kubernetesVersion or image is required",
		},
		"BadVersion": {
			reason: "Versions look like v1.37.2.",
			obj:    newNodePod(ns, "b", func(np *v1alpha1.NodePod) { np.Spec.ForProvider.KubernetesVersion = "1.37" }),
			want:   "spec.forProvider.kubernetesVersion",
		},
		"NoClusterName": {
			reason: "A node belongs to a cluster.",
			obj:    newNodePod(ns, "c", func(np *v1alpha1.NodePod) { np.Spec.ForProvider.ClusterName = "" }),
			want:   "spec.forProvider.clusterName",
		},
		"BadRole": {
			reason: "Roles are ControlPlane or Worker.",
			obj:    newNodePod(ns, "d", func(np *v1alpha1.NodePod) { np.Spec.ForProvider.Role = "Master" }),
			want:   `supported values: "ControlPlane", "Worker"`,
		},
		"EtcdOnWorker": {
			reason: "Only control-plane nodes run etcd.",
			obj: newNodePod(ns, "e", func(np *v1alpha1.NodePod) {
				np.Spec.ForProvider.Persistence = &v1alpha1.Persistence{Etcd: &v1alpha1.VolumeClaim{Size: resource.MustParse("1Gi")}}
			}),
			want: "persistence.etcd is only valid for role ControlPlane",
		},
		"NodePortOnClusterIP": {
			reason: "A ClusterIP Service has no node port.",
			obj:    newNodeService(ns, "f", func(s *v1alpha1.NodeService) { s.Spec.ForProvider.NodePort = ptr.To[int32](30443) }),
			want:   "nodePort needs type NodePort or LoadBalancer",
		},
		"BadServiceType": {
			reason: "Only the three Service types that can carry an endpoint.",
			obj:    newNodeService(ns, "g", func(s *v1alpha1.NodeService) { s.Spec.ForProvider.Type = "ExternalName" }),
			want:   "spec.forProvider.type",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := kube.Create(context.Background(), tc.obj)
			if err == nil {
				t.Fatalf("%s\nthe API server accepted it", tc.reason)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s\nerror %q does not contain %q", tc.reason, err.Error(), tc.want)
			}
		})
	}
}

func TestClusterNameIsImmutable(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	np := newNodePod(ns, "immutable")
	if err := kube.Create(ctx, np); err != nil {
		t.Fatal(err)
	}
	var err error
	for {
		cur := getNodePod(t, ns, "immutable")
		cur.Spec.ForProvider.ClusterName = "other"
		if err = kube.Update(ctx, cur); !kerrors.IsConflict(err) {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "clusterName is immutable") {
		t.Fatalf("want an immutability error, got %v", err)
	}
}

// A badValue is how TestEveryFieldRefusesABadValue sets one user-settable field wrongly, or why it cannot.
type badValue struct {
	// value is YAML; it is set at the field, or at set when given ("" with set removes that field).
	value string
	set   string
	// names is the path the refusal must name, when not the field (or set) itself.
	names string
	// says is more the message must say.
	says string
	// anyValue says why every value of the field is valid; then nothing is tried.
	anyValue string
}

// booleanField is the reason a boolean field takes any value.
const booleanField = "a boolean: true and false both mean something"

// under returns cases with prefix in front of each path.
func under(prefix string, cases map[string]badValue) map[string]badValue {
	out := make(map[string]badValue, len(cases))
	for path, c := range cases {
		if c.set != "" {
			c.set = prefix + c.set
		}
		if c.names != "" {
			c.names = prefix + c.names
		}
		out[prefix+path] = c
	}
	return out
}

// merged returns the union of sets of cases.
func merged(sets ...map[string]badValue) map[string]badValue {
	out := map[string]badValue{}
	for _, s := range sets {
		maps.Copy(out, s)
	}
	return out
}

// nodeCases are the fields a NodePod's forProvider and a KubernetesMachine's spec share.
var nodeCases = map[string]badValue{
	"affinity": {
		value: "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {}}}",
		names: "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", says: "Required value",
	},
	"disableDefaultCNI":                       {anyValue: booleanField},
	"extraVolumes[*].mountPath":               {value: "data"},
	"extraVolumes[*].name":                    {value: "Data"},
	"extraVolumes[*].readOnly":                {anyValue: booleanField},
	"extraVolumes[*].volumeSource":            {set: "extraVolumes[*].hostPath", names: "extraVolumes[*]", says: "exactly one volume source"},
	"image":                                   {value: "Not An Image"},
	"nodeSelector":                            {value: "{'bad key!': a}", says: "nodeSelector keys must be label keys"},
	"persistence.containerd.accessModes":      {value: "[ReadWriteEverything]", names: "persistence.containerd.accessModes[0]"},
	"persistence.containerd.size":             {value: "0", says: "size must be more than 0"},
	"persistence.containerd.storageClassName": {value: "Fast_SSD"},
	"persistence.etcd.accessModes":            {value: "[ReadWriteOnce, ReadWriteOnce, ReadWriteOnce, ReadWriteOnce, ReadWriteOnce]", says: "must have at most 4 items"},
	"persistence.etcd.size":                   {value: "lots"},
	"persistence.etcd.storageClassName":       {value: "fast ssd"},
	"persistence.reclaimPolicy":               {value: "Keep"},
	"resources":                               {value: "{requests: {cpu: lots}}", names: "resources.requests.cpu"},
	"tolerations":                             {value: "[{key: k, operator: Bogus}]", says: "tolerations operator must be Equal or Exists"},
	"topologySpreadConstraints": {
		value: "[{maxSkew: 0, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}]",
		says:  "topologySpreadConstraints maxSkew must be at least 1",
	},
}

// managedCases are the fields Crossplane gives every managed resource.
var managedCases = map[string]badValue{
	"spec.managementPolicies":              {value: "[Bogus]", names: "spec.managementPolicies[0]"},
	"spec.providerConfigRef.kind":          {value: "Bogus"},
	"spec.providerConfigRef.name":          {value: "''"},
	"spec.writeConnectionSecretToRef.name": {value: "''"},
}

var nodePodCases = merged(managedCases, under("spec.forProvider.", merged(nodeCases, map[string]badValue{
	"annotations":                 {value: "{'bad key!': a}", says: "annotations keys must be label keys"},
	"bootstrapDataSecretRef.key":  {value: "a/b"},
	"bootstrapDataSecretRef.name": {value: "Bad_Name"},
	"bootstrapFailurePolicy":      {value: "Sometimes"},
	"clusterName":                 {value: "Demo_1"},
	"imagePullPolicy":             {value: "Sometimes"},
	"kubernetesVersion":           {value: "'1.37'"},
	"labels":                      {value: "{'bad key!': a}", says: "labels keys must be label keys"},
	"namespace":                   {value: "Bad_NS"},
	"podLossPolicy":               {value: "Sometimes"},
	"priorityClassName":           {value: "High Priority"},
	"role":                        {value: "Master"},
	"updatePolicy":                {value: "Never"},
})))

var nodeServiceCases = merged(managedCases, under("spec.forProvider.", map[string]badValue{
	"annotations":                               {value: "{'bad key!': a}", says: "annotations keys must be label keys"},
	"clusterName":                               {value: "Demo_1"},
	"controlPlaneDisruptionBudget.enabled":      {anyValue: booleanField},
	"controlPlaneDisruptionBudget.minAvailable": {value: "-1"},
	"labels":            {value: "{'bad key!': a}", says: "labels keys must be label keys"},
	"loadBalancerClass": {value: "not a class!"},
	"namespace":         {value: "Bad_NS"},
	"nodePort":          {value: "70000"},
	"port":              {value: "0"},
	"type":              {value: "ExternalName"},
}))

var providerConfigCases = under("spec.credentials.", map[string]badValue{
	"env.name":            {set: "env", value: "{name: KUBECONFIG}", says: "credentials.env is not used"},
	"fs.path":             {set: "fs", value: "{path: /kubeconfig}", says: "credentials.fs is not used"},
	"secretRef.key":       {value: "''"},
	"secretRef.name":      {value: "''"},
	"secretRef.namespace": {value: "''"},
	"source":              {value: "Environment"},
})

var kubernetesClusterCases = map[string]badValue{
	"controlPlaneEndpoint.host":                                   {value: "not a host"},
	"controlPlaneEndpoint.port":                                   {value: "70000"},
	"controlPlaneServiceType":                                     {value: "ExternalName"},
	"failureDomains[*].controlPlane":                              {anyValue: booleanField},
	"failureDomains[*].name":                                      {value: "Zone_A"},
	"failureDomains[*].nodeSelector.matchExpressions[*].key":      {value: "bad key!"},
	"failureDomains[*].nodeSelector.matchExpressions[*].operator": {value: "Gt"},
	"failureDomains[*].nodeSelector.matchExpressions[*].values":   {value: "['not a value!']", names: "failureDomains[*].nodeSelector.matchExpressions[*].values[0]"},
	"failureDomains[*].nodeSelector.matchLabels":                  {value: "{'bad key!': a}", says: "matchLabels keys must be label keys"},
	"infraClusterSecretRef.key":                                   {value: "a/b"},
	"infraClusterSecretRef.name":                                  {value: "Bad_Name"},
}

var kubernetesMachineCases = merged(nodeCases, map[string]badValue{
	"providerID": {value: "aws:///i-0123"},
})

// templateMetadataCases are the fields of the metadata a Cluster API template gives the objects it stamps out.
var templateMetadataCases = map[string]badValue{
	"spec.template.metadata.annotations": {value: "{'bad key!': a}", names: "spec.template.metadata", says: "metadata.annotations keys must be annotation keys"},
	"spec.template.metadata.labels":      {value: "{'bad key!': a}", names: "spec.template.metadata", says: "metadata.labels keys must be label keys"},
}

var kindClusterCases = under("spec.", map[string]badValue{
	"controlPlane.persistence.containerd.size":             {value: "0", says: "size must be more than 0"},
	"controlPlane.persistence.containerd.storageClassName": {value: "Fast_SSD"},
	"controlPlane.persistence.etcd.size":                   {value: "lots"},
	"controlPlane.persistence.etcd.storageClassName":       {value: "fast ssd"},
	"controlPlane.persistence.reclaimPolicy":               {value: "Keep"},
	"controlPlane.replicas":                                {value: "2", says: "must be odd"},
	"controlPlane.resources":                               {value: "{limits: {memory: lots}}", names: "controlPlane.resources.limits.memory"},
	"disableDefaultCNI":                                    {anyValue: booleanField},
	"kubernetesVersion":                                    {value: "'1.37'"},
	"podSubnet":                                            {value: "10.244.0.0", says: "must be a CIDR"},
	"providerConfigRef.kind":                               {value: "Bogus"},
	"providerConfigRef.name":                               {value: "Bad_Name"},
	"serviceSubnet":                                        {value: "10.96.0.0", says: "must be a CIDR"},
	"serviceType":                                          {value: "ExternalName"},
	"workers.replicas":                                     {value: "-1"},
	"workers.resources":                                    {value: "{requests: {cpu: lots}}", names: "workers.resources.requests.cpu"},
})

// TestEveryFieldRefusesABadValue walks the schema of every CRD a user writes (and of the KindCluster XRD,
// served as Crossplane serves it) and, for every field under spec, has the API server refuse a bad value
// with a message that names the field; a field that takes any value says why. A field the table does not
// know fails the test, so that a new field comes with its validation.
func TestEveryFieldRefusesABadValue(t *testing.T) {
	ns := newNamespace(t)
	kindCluster := installXRD(t, "package/configuration/apis/kindcluster/definition.yaml", "KindCluster", "kindclusters")
	kinds := []struct {
		crd    string
		schema apiextensionsv1.JSONSchemaProps
		base   string
		cases  map[string]badValue
	}{
		{crd: "nodepods.kindnode.dev", cases: nodePodCases, base: `
apiVersion: kindnode.dev/v1alpha1
kind: NodePod
spec:
  providerConfigRef: {kind: ProviderConfig, name: default}
  writeConnectionSecretToRef: {name: node-conn}
  managementPolicies: ['*']
  forProvider:
    clusterName: demo
    role: ControlPlane
    kubernetesVersion: v1.37.2
    persistence: {etcd: {size: 1Gi}, containerd: {size: 10Gi}}
    bootstrapDataSecretRef: {name: demo-boot}
    extraVolumes: [{name: data, mountPath: /data, hostPath: {path: /srv/data}}]`},
		{crd: "nodeservices.kindnode.dev", cases: nodeServiceCases, base: `
apiVersion: kindnode.dev/v1alpha1
kind: NodeService
spec:
  providerConfigRef: {kind: ProviderConfig, name: default}
  writeConnectionSecretToRef: {name: endpoint-conn}
  forProvider: {clusterName: demo, type: NodePort}`},
		{crd: "providerconfigs.kindnode.dev", cases: providerConfigCases, base: `
apiVersion: kindnode.dev/v1alpha1
kind: ProviderConfig
spec:
  credentials: {source: Secret, secretRef: {name: outer, namespace: crossplane-system, key: kubeconfig}}`},
		{crd: "clusterproviderconfigs.kindnode.dev", cases: providerConfigCases, base: `
apiVersion: kindnode.dev/v1alpha1
kind: ClusterProviderConfig
spec:
  credentials: {source: Secret, secretRef: {name: outer, namespace: crossplane-system, key: kubeconfig}}`},
		{crd: "kubernetesclusters.infrastructure.cluster.x-k8s.io", cases: under("spec.", kubernetesClusterCases), base: `
apiVersion: infrastructure.cluster.x-k8s.io/v1alpha1
kind: KubernetesCluster
spec: ` + kubernetesClusterSpec},
		{crd: "kubernetesclustertemplates.infrastructure.cluster.x-k8s.io", cases: merged(templateMetadataCases, under("spec.template.spec.", kubernetesClusterCases)), base: `
apiVersion: infrastructure.cluster.x-k8s.io/v1alpha1
kind: KubernetesClusterTemplate
spec:
  template: {metadata: {labels: {app: demo}}, spec: ` + kubernetesClusterSpec + `}`},
		{crd: "kubernetesmachines.infrastructure.cluster.x-k8s.io", cases: under("spec.", kubernetesMachineCases), base: `
apiVersion: infrastructure.cluster.x-k8s.io/v1alpha1
kind: KubernetesMachine
spec: ` + kubernetesMachineSpec},
		{crd: "kubernetesmachinetemplates.infrastructure.cluster.x-k8s.io", cases: merged(templateMetadataCases, under("spec.template.spec.", kubernetesMachineCases)), base: `
apiVersion: infrastructure.cluster.x-k8s.io/v1alpha1
kind: KubernetesMachineTemplate
spec:
  template: {metadata: {labels: {app: demo}}, spec: ` + kubernetesMachineSpec + `}`},
		{crd: "kindclusters.platform.kindnode.dev (XRD)", schema: kindCluster, cases: kindClusterCases, base: `
apiVersion: platform.kindnode.dev/v1alpha1
kind: KindCluster
spec:
  kubernetesVersion: v1.37.2
  controlPlane: {persistence: {etcd: {size: 1Gi}, containerd: {size: 10Gi}}}`},
	}

	var total, covered int
	var anyValue []string
	for _, k := range kinds {
		schema := k.schema
		if schema.Properties == nil {
			schema = servedSchema(t, k.crd)
		}
		fields := settableFields(schema)
		total += len(fields)
		for path := range k.cases {
			if !slices.Contains(fields, path) {
				t.Errorf("%s has no field %s", k.crd, path)
			}
		}
		base := func(t *testing.T, name string) *unstructured.Unstructured {
			t.Helper()
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(k.base), &u.Object); err != nil {
				t.Fatal(err)
			}
			u.SetName(name)
			if !strings.HasPrefix(k.crd, "clusterproviderconfigs.") {
				u.SetNamespace(ns)
			}
			return u
		}
		t.Run(k.crd+"/valid", func(t *testing.T) {
			if err := kube.Create(context.Background(), base(t, "valid"), client.DryRunAll); err != nil {
				t.Fatalf("the base object is refused: %v", err)
			}
		})
		for _, path := range fields {
			c, ok := k.cases[path]
			if !ok {
				t.Errorf("%s: no bad value for %s: validate the field and add one, or say why any value is valid", k.crd, path)
				continue
			}
			if c.anyValue != "" {
				covered++
				anyValue = append(anyValue, k.crd+" "+path+": "+c.anyValue)
				continue
			}
			t.Run(k.crd+"/"+path, func(t *testing.T) {
				u := base(t, "bad")
				set, names := cmp.Or(c.set, path), cmp.Or(c.names, c.set, path)
				if err := setField(u.Object, set, c.value); err != nil {
					t.Fatal(err)
				}
				err := kube.Create(context.Background(), u, client.DryRunAll)
				switch {
				case err == nil:
					t.Fatalf("%s: %s accepted", path, cmp.Or(c.value, "no "+set))
				case !strings.Contains(err.Error(), concrete(names)+":"):
					t.Fatalf("the refusal does not name %s: %v", concrete(names), err)
				case !strings.Contains(err.Error(), c.says):
					t.Fatalf("the refusal does not say %q: %v", c.says, err)
				}
				covered++
			})
		}
	}
	t.Logf("fields where any value is valid:\n  %s", strings.Join(anyValue, "\n  "))
	t.Logf("covered %d of %d user-settable fields", covered, total)
}

// kubernetesClusterSpec is a valid KubernetesCluster spec with an item in each list.
const kubernetesClusterSpec = `{controlPlaneEndpoint: {host: 10.0.0.1, port: 6443}, infraClusterSecretRef: {name: outer},
  failureDomains: [{name: a, nodeSelector: {matchLabels: {zone: a}, matchExpressions: [{key: zone, operator: In, values: [a]}]}}]}`

// kubernetesMachineSpec is a valid KubernetesMachine spec with an item in each list.
const kubernetesMachineSpec = `{persistence: {etcd: {size: 1Gi}, containerd: {size: 10Gi}},
  extraVolumes: [{name: data, mountPath: /data, hostPath: {path: /srv/data}}]}`

// The rule that an extra volume has exactly one source names each source; a source that a newer
// corev1.VolumeSource adds must be named too, or a volume of only that source would be refused.
func TestExtraVolumeRuleNamesEverySource(t *testing.T) {
	items := servedSchema(t, "nodepods.kindnode.dev").Properties["spec"].Properties["forProvider"].Properties["extraVolumes"].Items.Schema
	var rule string
	for _, r := range items.XValidations {
		if strings.Contains(r.Message, "exactly one volume source") {
			rule = r.Rule
		}
	}
	if rule == "" {
		t.Fatal("extraVolumes items have no rule about their volume source")
	}
	for name := range volumeSources {
		if !strings.Contains(rule, "has(self."+name+")") {
			t.Errorf("the rule does not name the volume source %s", name)
		}
	}
}
