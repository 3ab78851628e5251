package main

import (
	"runtime"

	"golang.org/x/sys/cpu"
)

// cpuHasBF16 reports whether this CPU runs bfloat16 matrix products
// natively (AVX512_BF16 or AMX-BF16): the default of train's --bf16.
func cpuHasBF16() bool {
	return runtime.GOARCH == "amd64" && (cpu.X86.HasAVX512BF16 || cpu.X86.HasAMXBF16)
}

// bf16Emulated reports whether --bf16 would be emulated here (an x86 CPU
// without either extension), which deserves a warning.
func bf16Emulated() bool {
	return runtime.GOARCH == "amd64" && !cpuHasBF16()
}
