package proc

import "syscall"

// SysProcAttr returns attributes that put a child in its own process group,
// so that everything it starts can be signalled at once (see KillGroup), and
// ask the kernel to SIGKILL it if the process that started it dies without
// stopping it (e.g. `go test` killed by a timeout).
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
