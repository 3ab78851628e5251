// Package testutil holds helpers shared by the tests of several packages:
// comparing runs of the same model (one device against replicas, one
// process against a cluster) variable by variable, and pytorch-fid's
// Inception weights for the tests that need them.
//
// Only _test.go files import it. Its helpers return values or take a
// testing.TB and fail the test; they never panic.
package testutil
