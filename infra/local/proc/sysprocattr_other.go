//go:build !linux

package proc

import "syscall"

// SysProcAttr returns attributes that put a child in its own process group,
// so that everything it starts can be signalled at once (see KillGroup).
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
