// Package replicate is the device layer of synchronous data-parallel
// training with in-graph replication: it names the devices of the replicas
// (local devices "cpu:0,cpu:1", "gpu:0,gpu:1", or the tasks of a cluster,
// /job:worker/task:i) and copies a replica's forward and backward pass,
// built in a graph of its own, into the training graph on its device, its
// variable reads and inputs mapped to the chief's tensors.
//
// The model packages use it to build one replica per device, sum the
// replicas' gradients on the chief and apply one optimizer update there.
package replicate
