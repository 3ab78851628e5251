// Package cluster runs TensorFlow's distributed runtime from Go: a cluster
// spec (the job "worker", one host:port per task), the serialized ServerDef
// and ClusterDef built from TensorFlow's generated protos, and an in-process
// gRPC server (TF_NewServer and friends, which the Go bindings do not wrap).
//
// The gRPC runtime has no authentication: anyone who can reach a server's
// port can run any op on it. Clusters belong on a private network.
package cluster
