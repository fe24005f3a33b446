// Package heaptest measures the peak heap of code under test, for the
// benchmarks that report it; the service does not use it.
package heaptest

import (
	"runtime"
	"time"
)

// Sample samples the heap in use (HeapInuse) every 5 ms until the returned
// function is called, which returns the peak in bytes.
func Sample() (stop func() uint64) {
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		var peak uint64
		var m runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-result
	}
}
