// Stand-alone runner for `TrainSRCNNCommand` (the same file as `srlab train srcnn`, linked here)
// so training runs need no change to the srlab command tree.
import LinearAlgebra

BLASRuntime.ensureFastKernel()
TrainSRCNNCommand.main()
