package main

// TensorFlow logs while libtensorflow is loaded, before Go's runtime
// starts: absl's "All log messages before absl::InitializeLog()" notice and
// the oneDNN notice, whatever TF_CPP_MIN_LOG_LEVEL says. It also reads
// TF_CPP_MIN_LOG_LEVEL at that point, once: setting it from Go is too late
// for the lines it logs later (CPU features, MLIR passes, at the first
// session).
//
// So the C code below runs from the executable's .preinit_array: the
// dynamic loader calls an executable's preinit functions with argc, argv
// and envp after relocating the shared libraries and before any of them is
// initialised. At that point the C library's environment is not set up yet
// (getenv finds nothing and a setenv is undone by libc's own initialiser),
// so the function reads envp itself and, when TF_CPP_MIN_LOG_LEVEL is not
// the level this run wants, executes the program again (the file
// /proc/self/exe points to, so ps shows the same name; the same arguments)
// with it set. No library has been initialised yet, so
// that costs the exec and the loader's relocations once more (about 0.1 s
// of CPU; the shell can avoid it with TF_CPP_MIN_LOG_LEVEL=2 exported).
// The process that runs then, unless --tf-log was given, points its
// standard error at an in-memory file while the libraries initialise; a
// constructor of the executable (run after every library's initialiser)
// puts standard error back, and main replays what was written there
// without TensorFlow's INFO and WARNING lines (replayTFLoadLog). A crash
// while the libraries initialise shows everything captured.
//
// The code runs in every program built from this package, the test binary
// included (which is how tflog_main_test.go checks it).

/*
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char maskgit_tf_var[] = "TF_CPP_MIN_LOG_LEVEL=";

// maskgit_tf_log_level returns the TF_CPP_MIN_LOG_LEVEL a process started
// with argv runs with, given the current value (cur, NULL when unset): "0"
// (show everything) when --tf-log is among the arguments; cur when it
// already hides INFO and WARNING (an integer of at least 2: 3 hides errors
// too); otherwise "2".
static const char *maskgit_tf_log_level(int argc, char **argv, const char *cur) {
	for (int i = 1; i < argc; i++) {
		if (argv[i] != NULL && strcmp(argv[i], "--tf-log") == 0) {
			return "0";
		}
	}
	if (cur != NULL && cur[0] != '\0') {
		char *end;
		long n = strtol(cur, &end, 10);
		if (*end == '\0' && n >= 2) {
			return cur;
		}
	}
	return "2";
}

// The capture of standard error while the libraries initialise: the
// in-memory file, the real standard error, the signal actions replaced.
static int maskgit_cap_fd = -1;
static int maskgit_saved_fd = -1;
static const int maskgit_fatal_signals[] = {SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV};
static struct sigaction maskgit_old_actions[5];

// maskgit_uncapture puts the real standard error back; dump also copies
// everything captured to it.
static void maskgit_uncapture(int dump) {
	if (maskgit_saved_fd < 0) {
		return;
	}
	dup2(maskgit_saved_fd, 2);
	close(maskgit_saved_fd);
	maskgit_saved_fd = -1;
	if (dump && maskgit_cap_fd >= 0) {
		char buf[4096];
		ssize_t n;
		lseek(maskgit_cap_fd, 0, SEEK_SET);
		while ((n = read(maskgit_cap_fd, buf, sizeof buf)) > 0) {
			if (write(2, buf, (size_t)n) != n) {
				break;
			}
		}
	}
}

// maskgit_on_fatal shows what was captured when a library's initialiser
// crashes or aborts (a fatal TensorFlow error), then dies of the signal.
static void maskgit_on_fatal(int sig) {
	maskgit_uncapture(1);
	signal(sig, SIG_DFL);
	raise(sig);
}

// maskgit_on_exit shows what was captured when a library's initialiser
// exits the process.
static void maskgit_on_exit(void) {
	maskgit_uncapture(1);
}

// maskgit_quiet_tf is the preinit function.
static void maskgit_quiet_tf(int argc, char **argv, char **envp) {
	size_t n = 0, len = strlen(maskgit_tf_var);
	const char *cur = NULL;
	for (; envp[n] != NULL; n++) {
		if (cur == NULL && strncmp(envp[n], maskgit_tf_var, len) == 0) {
			cur = envp[n] + len;
		}
	}
	const char *level = maskgit_tf_log_level(argc, argv, cur);
	int show = strcmp(level, "0") == 0;
	if (cur == NULL ? !show : strcmp(cur, level) != 0) {
		char *env[n + 2];
		char var[sizeof maskgit_tf_var + 2];
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			if (strncmp(envp[i], maskgit_tf_var, len) != 0) {
				env[k++] = envp[i];
			}
		}
		strcpy(var, maskgit_tf_var);
		strcat(var, level); // "0" or "2": level is cur only when it is kept
		env[k++] = var;
		env[k] = NULL;
		// The resolved path, so the process keeps its name in ps and top
		// (executing /proc/self/exe itself would name it "exe").
		char self[4096];
		ssize_t m = readlink("/proc/self/exe", self, sizeof self - 1);
		if (m > 0) {
			self[m] = 0;
			execve(self, argv, env);
		}
		execve("/proc/self/exe", argv, env);
		// Not possible (no /proc): run on; TensorFlow's lines may show.
	}
	if (show) {
		return;
	}
	int saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (saved < 0) {
		return;
	}
	int cap = memfd_create("maskgit-tf-load-log", MFD_CLOEXEC);
	if (cap < 0 || dup2(cap, 2) < 0) {
		if (cap >= 0) {
			close(cap);
		}
		close(saved);
		return;
	}
	maskgit_cap_fd = cap;
	maskgit_saved_fd = saved;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = maskgit_on_fatal;
	for (int i = 0; i < 5; i++) {
		sigaction(maskgit_fatal_signals[i], &sa, &maskgit_old_actions[i]);
	}
	atexit(maskgit_on_exit);
}

__attribute__((section(".preinit_array"), used))
static void (*maskgit_quiet_tf_preinit)(int, char **, char **) = maskgit_quiet_tf;

// maskgit_end_capture runs after every shared library's initialiser: the
// real standard error is back before Go's runtime starts.
__attribute__((constructor))
static void maskgit_end_capture(void) {
	if (maskgit_saved_fd < 0) {
		return;
	}
	maskgit_uncapture(0);
	for (int i = 0; i < 5; i++) {
		sigaction(maskgit_fatal_signals[i], &maskgit_old_actions[i], NULL);
	}
}

// maskgit_take_tf_load_log returns the in-memory file of what was written
// to standard error while the libraries initialised (-1: none), once.
static int maskgit_take_tf_load_log(void) {
	int fd = maskgit_cap_fd;
	maskgit_cap_fd = -1;
	return fd;
}
*/
import "C"

import (
	"bufio"
	"io"
	"os"
	"regexp"
	"unsafe"
)

// tfLogFlag shows TensorFlow's INFO and WARNING lines (any position, any
// command); the preinit function has acted on it, main only removes it.
const tfLogFlag = "--tf-log"

// stripTFLog returns args without --tf-log.
func stripTFLog(args []string) []string {
	var rest []string
	for _, a := range args {
		if a != tfLogFlag {
			rest = append(rest, a)
		}
	}
	return rest
}

// tfLogLevel returns what maskgit_tf_log_level decides for a process
// started with args (args[0] is the program) and TF_CPP_MIN_LOG_LEVEL cur
// (present: set at all); for the tests of the decision.
func tfLogLevel(args []string, cur string, present bool) string {
	argv := make([]*C.char, len(args)+1) // NULL-terminated, as a real argv
	for i, a := range args {
		argv[i] = C.CString(a)
		defer C.free(unsafe.Pointer(argv[i]))
	}
	var ccur *C.char
	if present {
		ccur = C.CString(cur)
		defer C.free(unsafe.Pointer(ccur))
	}
	return C.GoString(C.maskgit_tf_log_level(C.int(len(args)), &argv[0], ccur))
}

// replayTFLoadLog writes to w what the libraries wrote to standard error
// while they were initialised, without TensorFlow's INFO and WARNING
// lines; nothing when it was not captured (--tf-log, or no memfd).
func replayTFLoadLog(w io.Writer) error {
	fd := int(C.maskgit_take_tf_load_log())
	if fd < 0 {
		return nil
	}
	f := os.NewFile(uintptr(fd), "tf-load-log")
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return filterTFLog(w, f)
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
