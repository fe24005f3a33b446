package lambdart

import "syscall"

// sysProcAttr puts an instance in its own process group, so that a timeout
// or Close can kill everything it started, and asks the kernel to SIGKILL it
// if the platform dies without calling Close.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
