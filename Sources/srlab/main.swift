import LinearAlgebra
BLASRuntime.ensureFastKernel()
print(BLASRuntime.kernel, BLASRuntime.threads, BLASRuntime.measureSgemm())
