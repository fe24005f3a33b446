//go:build !linux

package lambdart

import "syscall"

// sysProcAttr puts an instance in its own process group, so that a timeout
// or Close can kill everything it started.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
