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
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeSystemd plays systemd-run and systemctl for the scripts under test, which run on this machine and not
// in a kind node: a "unit" is a background process group whose leader's pid is in <unit>.pid while it runs.
const (
	fakeSystemdRun = `#!/bin/sh
unit=
while [ $# -gt 0 ]; do
	case "$1" in
	--unit=*) unit=${1#--unit=} ;;
	--*) ;;
	*) break ;;
	esac
	shift
done
pid="$FAKE_SYSTEMD/$unit.pid"
if [ -e "$pid" ]; then echo "Unit $unit already exists." >&2; exit 1; fi
setsid sh -c 'echo $$ > "$0"; : > "$0.up"; "$@"; rm -f "$0"' "$pid" "$@" </dev/null >>"$FAKE_SYSTEMD/$unit.journal" 2>&1 &
while [ ! -e "$pid.up" ]; do sleep 0.01; done
rm -f "$pid.up"
`
	fakeSystemctl = `#!/bin/sh
[ "$1" = is-active ] && [ "$2" = --quiet ] && [ -e "$FAKE_SYSTEMD/$3.pid" ]
`
)

// localNode is a Node whose commands run on this machine, in a directory of the test's own.
type localNode struct {
	Node
	root, systemd string
}

func newLocalNode(t *testing.T) *localNode {
	t.Helper()
	root := t.TempDir()
	bin, systemd := filepath.Join(root, "bin"), filepath.Join(root, "systemd")
	for _, d := range []string{bin, systemd} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "systemd-run"), []byte(fakeSystemdRun), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(fakeSystemctl), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_SYSTEMD="+systemd)
	n := &localNode{root: root, systemd: systemd}
	n.Node = Node{
		Exec:     localExecutor{bin: bin, env: env},
		Dir:      filepath.Join(root, "var", "lib", "kindnode", "bootstrap"),
		Sentinel: filepath.Join(root, "var", "lib", "kindnode", "bootstrap.complete"),
	}
	t.Cleanup(func() { n.crash(t) })
	return n
}

// crash kills the unit's processes, as a restart of the node container would.
func (n *localNode) crash(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.systemd, Unit+".pid"))
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = os.Remove(filepath.Join(n.systemd, Unit+".pid"))
}

// journal is what the unit printed.
func (n *localNode) journal(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.systemd, Unit+".journal"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// waitFor reads the run until done accepts it.
func (n *localNode) waitFor(t *testing.T, done func(Status) bool) Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	st, err := n.Status(ctx)
	for err == nil && !done(st) {
		st, err = n.Wait(ctx, st, 5*time.Second)
	}
	if err != nil {
		t.Fatalf("last status %+v: %v", st, err)
	}
	return st
}

// localExecutor runs commands on this machine, looking them up in bin first.
type localExecutor struct {
	bin string
	env []string
}

func (e localExecutor) Exec(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	name := argv[0]
	if p := filepath.Join(e.bin, name); !strings.Contains(name, "/") && fileExists(p) {
		name = p
	}
	cmd := exec.CommandContext(ctx, name, argv[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout = e.env, stdin, stdout
	var tail strings.Builder
	cmd.Stderr = &tail
	if stderr != nil {
		cmd.Stderr = io.MultiWriter(&tail, stderr)
	}
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Code: ee.ExitCode(), Stderr: tail.String()}
	}
	return err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// steps are commands that leave a trace of each run in the node's directory: step N appends a line to
// N.ran, so a step that runs twice shows.
func steps(root string, argv ...[]string) []Command {
	cmds := make([]Command, len(argv))
	for i, a := range argv {
		trace := "echo x >> " + quote(filepath.Join(root, strconv.Itoa(i+1)+".ran")) + "; "
		cmds[i] = Command{Argv: []string{"/bin/sh", "-c", trace + `"$@"`, "step"}, Description: "step '" + strconv.Itoa(i+1) + "'"}
		cmds[i].Argv = append(cmds[i].Argv, a...)
	}
	return cmds
}

func ran(t *testing.T, root string, n int) []int {
	t.Helper()
	got := make([]int, n)
	for i := range got {
		b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(i+1)+".ran"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		got[i] = strings.Count(string(b), "x")
	}
	return got
}

func TestNodeRun(t *testing.T) {
	n := newLocalNode(t)
	ctx := t.Context()
	cmds := steps(n.root, []string{"true"}, []string{"sh", "-c", "cat > " + quote(filepath.Join(n.root, "written"))}, []string{"echo", "it's done"})
	cmds[1].Stdin = []byte("file content\n")

	if err := n.Stage(ctx, cmds); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	st := n.waitFor(t, func(s Status) bool { return s.Complete && !s.Active })
	if diff := cmp.Diff(Status{Complete: true, Staged: true, Succeeded: 3, Current: 3}, st, cmpopts.IgnoreUnexported(Status{})); diff != "" {
		t.Errorf("Status: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 1, 1}, ran(t, n.root, 3)); diff != "" {
		t.Errorf("runs per step: -want, +got:\n%s", diff)
	}
	if b, err := os.ReadFile(filepath.Join(n.root, "written")); err != nil || string(b) != "file content\n" {
		t.Errorf("step 2 wrote %q, %v; want its stdin", b, err)
	}
	if j := n.journal(t); !strings.Contains(j, "step 3 of 3: step '3'") || !strings.Contains(j, "kindnode bootstrap: done") {
		t.Errorf("journal does not tell the steps:\n%s", j)
	}
	// Starting a completed run again runs nothing again.
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	n.waitFor(t, func(s Status) bool { return !s.Active })
	if diff := cmp.Diff([]int{1, 1, 1}, ran(t, n.root, 3)); diff != "" {
		t.Errorf("runs per step after a second start: -want, +got:\n%s", diff)
	}
}

func TestNodeFailureAndRetry(t *testing.T) {
	n := newLocalNode(t)
	ctx := t.Context()
	flag := filepath.Join(n.root, "fail")
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmds := steps(n.root, []string{"true"}, []string{"sh", "-c", "echo trying; if [ -e " + quote(flag) + " ]; then echo 'no such thing' >&2; exit 3; fi"}, []string{"true"})
	if err := n.Stage(ctx, cmds); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	st := n.waitFor(t, func(s Status) bool { return !s.Active && s.Failed != nil })
	if diff := cmp.Diff(&Failure{Step: 2, Exit: "3", Output: "trying\nno such thing"}, st.Failed); diff != "" {
		t.Errorf("Failed: -want, +got:\n%s", diff)
	}
	if st.Succeeded != 1 || st.Complete {
		t.Errorf("Status %+v: want one step succeeded, not complete", st)
	}

	// Started again without clearing, the failed step does not run again.
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	n.waitFor(t, func(s Status) bool { return !s.Active })
	if diff := cmp.Diff([]int{1, 1, 0}, ran(t, n.root, 3)); diff != "" {
		t.Errorf("runs per step: -want, +got:\n%s", diff)
	}

	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	if err := n.Retry(ctx, st.Failed.Step); err != nil {
		t.Fatal(err)
	}
	n.waitFor(t, func(s Status) bool { return s.Complete })
	// Only the failed step ran again.
	if diff := cmp.Diff([]int{1, 2, 1}, ran(t, n.root, 3)); diff != "" {
		t.Errorf("runs per step after the retry: -want, +got:\n%s", diff)
	}
}

func TestNodeInterrupted(t *testing.T) {
	n := newLocalNode(t)
	ctx := t.Context()
	gate := filepath.Join(n.root, "gate")
	cmds := steps(n.root, []string{"true"}, []string{"sh", "-c", "while [ ! -e " + quote(gate) + " ]; do sleep 0.05; done"}, []string{"true"})
	if err := n.Stage(ctx, cmds); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	st := n.waitFor(t, func(s Status) bool { return s.Current == 2 })
	if !st.Active || st.Failed != nil {
		t.Fatalf("Status %+v: want step 2 running", st)
	}
	// A second start while the run runs is no error and starts nothing; staging over it is refused.
	if err := n.Start(ctx); err != nil {
		t.Errorf("Start while running: %v", err)
	}
	if err := n.Stage(ctx, cmds); err == nil || !strings.Contains(err.Error(), "has started") {
		t.Errorf("Stage while running: want an error saying a run has started, got %v", err)
	}

	n.crash(t)
	st = n.waitFor(t, func(s Status) bool { return !s.Active })
	if diff := cmp.Diff(&Failure{Step: 2, Exit: interrupted}, st.Failed); diff != "" {
		t.Errorf("Failed after the crash: -want, +got:\n%s", diff)
	}
	// The script, started again, records the interruption and does not run the step again.
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	st = n.waitFor(t, func(s Status) bool { return !s.Active })
	if diff := cmp.Diff(&Failure{Step: 2, Exit: interrupted}, st.Failed); diff != "" {
		t.Errorf("Failed after a start: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 1, 0}, ran(t, n.root, 3)); diff != "" {
		t.Errorf("runs per step: -want, +got:\n%s", diff)
	}

	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.Retry(ctx, 2); err != nil {
		t.Fatal(err)
	}
	n.waitFor(t, func(s Status) bool { return s.Complete })
	if diff := cmp.Diff([]int{1, 2, 1}, ran(t, n.root, 3)); diff != "" {
		t.Errorf("runs per step after the retry: -want, +got:\n%s", diff)
	}
}

func TestNodeWaitReturnsOnChange(t *testing.T) {
	n := newLocalNode(t)
	ctx := t.Context()
	gate := filepath.Join(n.root, "gate")
	cmds := steps(n.root, []string{"sh", "-c", "while [ ! -e " + quote(gate) + " ]; do sleep 0.05; done"})
	if err := n.Stage(ctx, cmds); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	st := n.waitFor(t, func(s Status) bool { return s.Current == 1 })
	go func() {
		time.Sleep(time.Second)
		_ = os.WriteFile(gate, nil, 0o600)
	}()
	// Wait holds up to a minute but comes back when the step ends; the test's 20 s deadline tells.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	st, err := n.Wait(wctx, st, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if st.Succeeded != 1 {
		t.Errorf("Status %+v: want the step ended", st)
	}
}

func TestParseStatus(t *testing.T) {
	cases := map[string]struct {
		reason string
		report string
		want   Status
	}{
		"Nothing": {
			reason: "A node with no run says nothing.",
			want:   Status{},
		},
		"Running": {
			reason: "A running step has started and has no exit status.",
			report: "staged\nactive\nstarted 1\nstarted 2\nexit 1 0\n",
			want:   Status{Staged: true, Active: true, Succeeded: 1, Current: 2},
		},
		"Interrupted": {
			reason: "A started step without exit status while the unit is not active was cut off.",
			report: "staged\nstarted 1\nstarted 2\nexit 1 0\n",
			want:   Status{Staged: true, Succeeded: 1, Current: 2, Failed: &Failure{Step: 2, Exit: "interrupted"}},
		},
		"Failed": {
			reason: "Everything after the output line is the failed step's output, even lines that look like status.",
			report: "staged\nstarted 1\nexit 1 2\noutput\nerror: bad\nexit 9 9\n",
			want:   Status{Staged: true, Current: 1, Failed: &Failure{Step: 1, Exit: "2", Output: "error: bad\nexit 9 9"}},
		},
		"Complete": {
			reason: "A bootstrapped node is complete, even without a staged run (one bootstrapped before runs were staged).",
			report: "complete\n",
			want:   Status{Complete: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ParseStatus(tc.report)
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(Status{})); diff != "" {
				t.Errorf("%s\nParseStatus(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
