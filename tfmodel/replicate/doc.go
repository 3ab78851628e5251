// Package replicate is the device layer of synchronous data-parallel
// training with in-graph replication: it names the devices of the replicas
// (local devices "cpu:0,cpu:1", "gpu:0,gpu:1", or the tasks of a cluster,
// /job:worker/task:i), splits the batch fed to the chief into one share per
// replica (Shares), builds a replica's forward and backward pass in a graph
// of its own and copies it into the training graph on its device, its
// variable reads and inputs mapped to the chief's tensors (ImportPass,
// Import), and adds the replicas' gradients and weighted means on the
// chief (SumGradients, WeightedSum).
//
// The model packages (graphs/transformer, graphs/vqvae) use it to build one
// replica per device, sum the replicas' gradients on the chief and apply
// one optimizer update there.
package replicate
