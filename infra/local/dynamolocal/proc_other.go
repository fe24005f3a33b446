//go:build !linux

package dynamolocal

import "syscall"

// sysProcAttr puts java in its own process group, so that Stop can signal
// the whole group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
