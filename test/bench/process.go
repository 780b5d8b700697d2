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

package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kindnode/cluster-api-provider-kubernetes/internal/testprocess"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat: 100 on every Linux the provider runs
// on, and not readable without cgo.
const clockTicks = 100

// A process is a program the harness started, whose CPU time and memory the bench reads.
type process struct{ *testprocess.Process }

// startProcess runs bin with args, its output going to logPath.
func startProcess(name, logPath, bin string, args ...string) (*process, error) {
	return startProcessEnv(name, logPath, bin, nil, args...)
}

// startProcessEnv is startProcess with env added to the harness's own environment; a later entry wins.
func startProcessEnv(name, logPath, bin string, env []string, args ...string) (*process, error) {
	p, err := testprocess.Start(name, logPath, bin, testprocess.Options{Env: env}, args...)
	if err != nil {
		return nil, err
	}
	return &process{p}, nil
}

// cpu is the user and system CPU time the process used so far.
func (p *process) cpu() (time.Duration, error) {
	return cpuOf(p.Pid())
}

// cpuOf is the user and system CPU time process pid used so far.
func cpuOf(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may hold spaces; the fields after it do not. utime and stime are the
	// 14th and 15th fields, the 12th and 13th after the name.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("cannot parse /proc/<pid>/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("cannot parse /proc/<pid>/stat")
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// peakRSS is the largest resident set size the process had so far, in bytes.
func (p *process) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/<pid>/status")
}

// freePort is a loopback port nobody listens on right now.
func freePort() (int, error) { return testprocess.FreePort() }
