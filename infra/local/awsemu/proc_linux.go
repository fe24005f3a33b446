package awsemu

import "syscall"

// sysProcAttr puts moto in its own process group, so that Stop can signal
// the whole group, and asks the kernel to SIGKILL it if the process that
// started it dies without calling Stop (e.g. `go test` killed by a timeout).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
