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
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// A bootstrap run lives in the node, not in the provider: the provider stages the run's script and the
// commands' stdin into StateDir over one exec and starts the script as a transient systemd unit. The script
// records each step's start, output and exit status next to itself, so a provider that restarts, is upgraded
// or loses leadership mid-run finds the run where it is, and a step that succeeded never runs again. A step
// that failed, or was cut off by a restart of the node container, is run again only when the provider clears
// its record (Node.Retry), which it does per the NodePod's bootstrap failure policy.
const (
	// StateDir holds a node's bootstrap run. It is on the node's /var volume, like SentinelPath: it survives
	// a restart of the node container, not a new Pod.
	StateDir = "/var/lib/kindnode/bootstrap"
	// Unit is the transient systemd unit that runs the bootstrap script.
	Unit = "kindnode-bootstrap.service"
	// outputTail is how much of a failed step's output its Failure keeps.
	outputTail = 2 << 10
	// interrupted is the exit status the script records for a step that started and never ended.
	interrupted = "interrupted"
)

const (
	errStage  = "cannot stage the bootstrap run in the node"
	errStart  = "cannot start the bootstrap unit in the node"
	errStatus = "cannot read the bootstrap run in the node"
	errRetry  = "cannot clear the failed bootstrap step in the node"
)

// A Node is the node side of bootstrap runs, reached through an Executor. Its zero value but for Exec runs in
// a kind node; the other fields let tests run it elsewhere.
type Node struct {
	// Exec runs commands in the node.
	Exec Executor
	// Dir is where the run is staged; StateDir when empty.
	Dir string
	// Sentinel marks a bootstrapped node; SentinelPath when empty.
	Sentinel string
	// Timeout bounds a run: systemd stops the unit when it has run this long, and the step it cut off counts
	// as interrupted. None when zero.
	Timeout time.Duration
}

func (n Node) dir() string {
	if n.Dir == "" {
		return StateDir
	}
	return n.Dir
}

func (n Node) sentinel() string {
	if n.Sentinel == "" {
		return SentinelPath
	}
	return n.Sentinel
}

// Script is the shell script that runs cmds as steps 1 to len(cmds) in the node, in the staged directory,
// and marks the node bootstrapped once all have succeeded. A step with a recorded exit status 0 is skipped;
// one that failed, or that started and has none (the node restarted during it), stops the run.
func (n Node) Script(cmds []Command) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `#!/bin/sh
# The bootstrap of this kind node, staged by the kindnode provider and run by systemd as %s.
# Each step records N.started, then N.exit and its output in N.log, in this directory.
set -u
cd %s || exit 1
step() {
	n=$1
	what=$2
	shift 2
	if [ -e "$n.exit" ]; then
		[ "$(cat "$n.exit")" = 0 ] && return 0
		echo "kindnode bootstrap: step $n of %d ($what) has failed; the provider clears it to run it again"
		exit 1
	fi
	if [ -e "$n.started" ]; then
		echo %s > "$n.exit"
		echo "kindnode bootstrap: step $n of %d ($what) was interrupted"
		exit 1
	fi
	echo "kindnode bootstrap: step $n of %d: $what"
	: > "$n.started"
	in=/dev/null
	[ -e "$n.in" ] && in="$n.in"
	"$@" < "$in" > "$n.log" 2>&1
	rc=$?
	echo "$rc" > "$n.exit"
	if [ "$rc" != 0 ]; then
		echo "kindnode bootstrap: step $n of %d ($what) exited with code $rc"
		exit "$rc"
	fi
}
`, Unit, quote(n.dir()), len(cmds), interrupted, len(cmds), len(cmds), len(cmds))
	for i, c := range cmds {
		fmt.Fprintf(&b, "step %d %s", i+1, quote(c.Description))
		for _, a := range c.Argv {
			b.WriteString(" " + quote(a))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "mkdir -p %s && touch %s\necho 'kindnode bootstrap: done'\n", quote(path.Dir(n.sentinel())), quote(n.sentinel()))
	return b.Bytes()
}

// quote makes s one word for sh.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Stage writes the run of cmds into the node over one exec: the script, and each command's stdin in a file
// of its own. It replaces a run staged before, and refuses to once a step of it started: the records of a run
// are never lost.
func (n Node) Stage(ctx context.Context, cmds []Command) error {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	add := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for i, c := range cmds {
		if c.Stdin == nil {
			continue
		}
		if err := add(fmt.Sprintf("%d.in", i+1), 0o600, c.Stdin); err != nil {
			return errors.Wrap(err, errStage)
		}
	}
	if err := add("run", 0o700, n.Script(cmds)); err != nil {
		return errors.Wrap(err, errStage)
	}
	if err := tw.Close(); err != nil {
		return errors.Wrap(err, errStage)
	}
	// Unpacked beside the run directory and renamed into place, so a stage cut off half way leaves no
	// script behind.
	const stage = `set -e
for f in "$0"/*.started; do
	if [ -e "$f" ]; then echo "a bootstrap run has started in $0 already" >&2; exit 1; fi
done
rm -rf "$0.new"; mkdir -p "$0.new"; tar -x -C "$0.new"; rm -rf "$0"; mv "$0.new" "$0"`
	return errors.Wrap(n.Exec.Exec(ctx, []string{"/bin/sh", "-c", stage, n.dir()}, &b, nil, nil), errStage)
}

// Start starts the staged run as a transient systemd unit, which outlives the exec that starts it. A unit
// that is running already is left alone.
func (n Node) Start(ctx context.Context) error {
	argv := []string{"systemd-run", "--unit=" + Unit, "--collect", "--description=kindnode bootstrap", "--setenv=HOME=/root"}
	if n.Timeout > 0 {
		argv = append(argv, "--property=RuntimeMaxSec="+strconv.Itoa(int(n.Timeout.Seconds())))
	}
	argv = append(argv, "/bin/sh", path.Join(n.dir(), "run"))
	err := n.Exec.Exec(ctx, argv, nil, nil, nil)
	if err == nil {
		return nil
	}
	// systemd-run refuses a unit of the same name, which a run started moments ago by a provider that then
	// lost leadership may be.
	if st, serr := n.Status(ctx); serr == nil && st.Active {
		return nil
	}
	return errors.Wrap(err, errStart)
}

// Retry clears the record of a failed or interrupted step and starts the run again from it.
func (n Node) Retry(ctx context.Context, step int) error {
	const forget = `cd "$0" && rm -f "$1.exit" "$1.started"`
	if err := n.Exec.Exec(ctx, []string{"/bin/sh", "-c", forget, n.dir(), strconv.Itoa(step)}, nil, nil, nil); err != nil {
		return errors.Wrap(err, errRetry)
	}
	return n.Start(ctx)
}

// statusScript prints a node's run: "complete" once bootstrapped, "staged" when a script is there,
// "active" while its unit runs, a "started N" and an "exit N STATUS" line per step, and after an "output"
// line the end of a failed step's output. With a fifth argument it first waits, up to that many seconds,
// for the report to differ from the sixth.
const statusScript = `dir=$0 sentinel=$1 unit=$2 tail=$3
report() {
	[ -e "$sentinel" ] && echo complete
	cd "$dir" 2>/dev/null || return 0
	[ -e run ] && echo staged
	systemctl is-active --quiet "$unit" && echo active
	failed=
	for f in *.started; do [ -e "$f" ] && echo "started ${f%.started}"; done
	for f in *.exit; do
		[ -e "$f" ] || continue
		rc=$(cat "$f")
		echo "exit ${f%.exit} $rc"
		[ "$rc" = 0 ] || failed=${f%.exit}
	done
	if [ -n "$failed" ]; then
		echo output
		tail -c "$tail" "$failed.log" 2>/dev/null
	fi
	cd / || return 0
}
if [ $# -ge 5 ]; then
	i=0
	while [ "$i" -lt "$(($4 * 2))" ] && [ "$(report)" = "$5" ]; do
		sleep 0.5
		i=$((i + 1))
	done
fi
report`

// Status reads the node's run.
func (n Node) Status(ctx context.Context) (Status, error) {
	return n.status(ctx, []string{"/bin/sh", "-c", statusScript, n.dir(), n.sentinel(), Unit, strconv.Itoa(outputTail)})
}

// Wait reads the node's run once it differs from since, or after at most limit: one exec, which the node holds
// until then, instead of a read every second.
func (n Node) Wait(ctx context.Context, since Status, limit time.Duration) (Status, error) {
	return n.status(ctx, []string{"/bin/sh", "-c", statusScript, n.dir(), n.sentinel(), Unit, strconv.Itoa(outputTail),
		// The shell compares with the report as $(...) reads it: without its trailing newlines.
		strconv.Itoa(int(limit.Seconds())), strings.TrimRight(since.report, "\n")})
}

func (n Node) status(ctx context.Context, argv []string) (Status, error) {
	var out bytes.Buffer
	if err := n.Exec.Exec(ctx, argv, nil, &out, nil); err != nil {
		return Status{}, errors.Wrap(err, errStatus)
	}
	return ParseStatus(out.String()), nil
}

// Status is what a node says of its bootstrap run.
type Status struct {
	// Complete is set once the node is bootstrapped.
	Complete bool
	// Staged is set when a run is staged in the node.
	Staged bool
	// Active is set while the run's unit runs.
	Active bool
	// Succeeded counts the steps that exited 0.
	Succeeded int
	// Current is the last step that started, 0 before the first.
	Current int
	// Failed is the step that failed or was interrupted, if one did: the run stopped there.
	Failed *Failure

	// report is what the node printed, for Wait.
	report string
}

// Failure is a step that stopped a run.
type Failure struct {
	// Step is the step's number, from 1.
	Step int
	// Exit is its exit status, or "interrupted" for a step that started and never ended.
	Exit string
	// Output is the end of what it printed.
	Output string
}

// Error says which step failed and how, with the end of its output, which usually says why.
func (f *Failure) Error() string {
	how := "exited with code " + f.Exit
	if f.Exit == interrupted {
		how = "was interrupted (the node container restarted, or the run outlasted its timeout)"
	}
	if o := strings.TrimSpace(Redact(f.Output)); o != "" {
		return how + ": " + o
	}
	return how
}

// ParseStatus reads what the node printed about its run.
func ParseStatus(report string) Status {
	st := Status{report: report}
	started, exits := map[int]bool{}, map[int]string{}
	sc := bufio.NewScanner(strings.NewReader(report))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var output []string
	inOutput := false
	for sc.Scan() {
		line := sc.Text()
		if inOutput {
			output = append(output, line)
			continue
		}
		f := strings.Fields(line)
		switch {
		case line == "complete":
			st.Complete = true
		case line == "staged":
			st.Staged = true
		case line == "active":
			st.Active = true
		case line == "output":
			inOutput = true
		case len(f) == 2 && f[0] == "started":
			if i, err := strconv.Atoi(f[1]); err == nil {
				started[i] = true
			}
		case len(f) == 3 && f[0] == "exit":
			if i, err := strconv.Atoi(f[1]); err == nil {
				exits[i] = f[2]
			}
		}
	}
	for i := range started {
		st.Current = max(st.Current, i)
	}
	for i, rc := range exits {
		if rc == "0" {
			st.Succeeded++
			continue
		}
		st.Failed = &Failure{Step: i, Exit: rc, Output: strings.Join(output, "\n")}
	}
	// A step that started and has no exit status while the unit does not run was cut off: the script
	// records that itself only when it runs again.
	if _, ok := exits[st.Current]; st.Current > 0 && !ok && !st.Active && st.Failed == nil && !st.Complete {
		st.Failed = &Failure{Step: st.Current, Exit: interrupted}
	}
	return st
}
