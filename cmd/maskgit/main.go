// Command maskgit trains, runs and serves MaskGIT image inpainting models.
package main

import (
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr *os.File) int {
	fmt.Fprintln(stdout, "maskgit")
	return 0
}
