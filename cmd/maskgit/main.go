// Command maskgit trains, runs and serves MaskGIT image inpainting models
// built as TensorFlow graphs from Go.
//
//	maskgit help [command]
//	maskgit <command> [flags] [--tf-log]
//
// TensorFlow's own INFO and WARNING lines are hidden unless --tf-log is
// given: the process runs with TF_CPP_MIN_LOG_LEVEL=2 (a value of 3 is
// kept; 0 with --tf-log), set before libtensorflow is initialised, and the
// lines TensorFlow logs while it is initialised are filtered (tflog.go).
//
// Exit status: 0 on success, 2 for bad usage or bad input (a clear message
// names the file and the problem), 1 for other failures.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
)

// command is one maskgit subcommand with its own flag set.
type command struct {
	name    string
	summary string
	// flags registers the command's flags and returns the function that runs
	// it once they are parsed.
	flags func(fs *pflag.FlagSet) func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what a command may touch: its output streams.
type cliEnv struct {
	stdout, stderr io.Writer
}

// usageError marks bad usage or bad input: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badInput(format string, args ...interface{}) error {
	return usageError{fmt.Errorf(format, args...)}
}

func commands() []command {
	cmds := []command{
		versionCommand(),
		fidCommand(), fidWeightsCommand(),
		trainTokenizerCommand(),
		trainCommand(),
		encodeCommand(),
		inpaintCommand(),
		sweepCommand(),
		reconstructCommand(), exportCommand(), savedModelCommand(),
		bundleCommand(),
		serveCommand(),
		masksCommand(), generateCommand(), demoCommand(),
		workerCommand(),
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

func main() {
	// TensorFlow's INFO and WARNING lines (CPU features, MLIR passes) are
	// noise for a command-line tool: hidden unless --tf-log, by C code that
	// ran before libtensorflow was initialised (tflog.go). What else the
	// libraries wrote while they were initialised is shown here.
	replayTFLoadLog(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, stripTFLog(os.Args[1:]), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	env := &cliEnv{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		return 0
	}
	if args[0] == "help" {
		if len(args) == 1 {
			printUsage(stdout)
			return 0
		}
		c, ok := lookup(args[1])
		if !ok {
			fmt.Fprintf(stderr, "maskgit: unknown command %q (see 'maskgit help')\n", args[1])
			return 2
		}
		fs := newFlagSet(c)
		c.flags(fs)
		fs.SetOutput(stdout)
		fs.Usage()
		return 0
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "maskgit: unknown command %q (see 'maskgit help')\n", args[0])
		return 2
	}
	fs := newFlagSet(c)
	runFn := c.flags(fs)
	fs.SetOutput(stderr)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "maskgit %s: %v\n", c.name, err)
		return 2
	}
	if err := runFn(ctx, env, fs.Args()); err != nil {
		msg := err.Error()
		// op.Scope errors carry a Go stack trace: useful in tests, noise here.
		if i := strings.Index(msg, " (Stacktrace: "); i >= 0 {
			msg = msg[:i]
		}
		fmt.Fprintf(stderr, "maskgit %s: %s\n", c.name, msg)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func newFlagSet(c command) *pflag.FlagSet {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "maskgit %s: %s\n\nUsage: maskgit %s [flags]\n\nFlags:\n%s", c.name, c.summary, c.name, fs.FlagUsages())
	}
	return fs
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("maskgit: MaskGIT image inpainting on TensorFlow graphs built from Go.\n\nUsage:\n  maskgit <command> [flags]\n  maskgit help <command>\n\n--tf-log (with any command) shows TensorFlow's INFO and WARNING lines, hidden by default.\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-16s %s\n", c.name, c.summary)
	}
	io.WriteString(w, b.String())
}
