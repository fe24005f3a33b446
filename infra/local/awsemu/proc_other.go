//go:build !linux

package awsemu

import "syscall"

// sysProcAttr puts moto in its own process group, so that Stop can signal
// the whole group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
