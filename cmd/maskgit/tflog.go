package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"syscall"
)

// TensorFlow's C++ logging reads TF_CPP_MIN_LOG_LEVEL when the shared library
// is loaded and first logs, before Go's main runs, and some lines (the oneDNN
// notice) are written at load whatever its value. So the CLI runs itself as
// a child (quietTF) with the variable set and its standard error filtered
// of TensorFlow's INFO and WARNING lines; tfChildGuard marks the child so
// it never does so again. --tf-log shows everything.

// tfLogFlag shows TensorFlow's INFO and WARNING lines (any position, any command).
const tfLogFlag = "--tf-log"

// tfChildGuard is set in the environment of the child process.
const tfChildGuard = "MASKGIT_TF_CHILD"

// tfQuietLevel hides TensorFlow's INFO and WARNING lines; errors still show.
const tfQuietLevel = 2

// tfLogPlan returns args without --tf-log, whether TensorFlow's lines are
// to be shown, and the TF_CPP_MIN_LOG_LEVEL to run with given the current
// value (cur, when present): "0" with --tf-log; the current value when it
// is already quiet (≥ 2: 3 hides errors too); otherwise "2".
func tfLogPlan(args []string, cur string, present bool) (rest []string, show bool, level string) {
	for _, a := range args {
		if a == tfLogFlag {
			show = true
			continue
		}
		rest = append(rest, a)
	}
	level = strconv.Itoa(tfQuietLevel)
	if show {
		level = "0"
	} else if n, err := strconv.Atoi(cur); present && err == nil && n >= tfQuietLevel {
		level = cur
	}
	return rest, show, level
}

// tfLogLine matches the lines TensorFlow (absl) logs at INFO or WARNING
// level, e.g. "I0000 00:00:1796103948.231829   19077 port.cc:153] ...", and
// absl's notice that it logs to stderr before it is initialised.
var tfLogLine = regexp.MustCompile(`^(?:[IW]\d{4} \d+:\d+:\d+\.\d+\s+\d+ [\w.\-/]+:\d+\] |WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR)`)

// filterTFLog copies r to w line by line without TensorFlow's INFO and
// WARNING lines (the CPU-feature notice's second line included).
func filterTFLog(w io.Writer, r io.Reader) error {
	br := bufio.NewReader(r)
	skipNext := false
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			drop := tfLogLine.MatchString(line)
			if skipNext && !drop && len(line) > 20 && line[:20] == "To enable the follow" {
				drop = true
			}
			skipNext = drop
			if !drop {
				if _, werr := io.WriteString(w, line); werr != nil {
					return werr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// quietTF returns the arguments for run when this process is to run the
// command itself (ok): in the child, or when the child cannot be started.
// Otherwise it runs the child with standard input and output shared and
// standard error filtered, relays SIGINT and SIGTERM to it, and returns its
// exit status.
func quietTF(args []string) (rest []string, code int, ok bool) {
	cur, present := os.LookupEnv("TF_CPP_MIN_LOG_LEVEL")
	rest, show, level := tfLogPlan(args, cur, present)
	if _, child := os.LookupEnv(tfChildGuard); child {
		return rest, 0, true
	}
	if show && (!present || cur == level) {
		return rest, 0, true // TensorFlow shows everything by default
	}
	exe, err := os.Executable()
	if err != nil {
		return rest, 0, true
	}
	cmd := exec.Command(exe, rest...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL="+level, tfChildGuard+"=1")
	cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
	var pipe io.ReadCloser
	if show {
		cmd.Stderr = os.Stderr
	} else if pipe, err = cmd.StderrPipe(); err != nil {
		return rest, 0, true
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	if err := cmd.Start(); err != nil {
		return rest, 0, true
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sig:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	if pipe != nil {
		filterTFLog(os.Stderr, pipe)
	}
	err = cmd.Wait()
	close(done)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil, 0, false
	case errors.As(err, &ee):
		if ws, isWS := ee.Sys().(syscall.WaitStatus); isWS && ws.Signaled() {
			return nil, 128 + int(ws.Signal()), false
		}
		return nil, ee.ExitCode(), false
	default:
		os.Stderr.WriteString("maskgit: " + err.Error() + "\n")
		return nil, 1, false
	}
}
