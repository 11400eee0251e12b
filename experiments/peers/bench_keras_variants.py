"""The variants of the Keras reference project (titu1994/Image-Super-Resolution, models.py) in PyTorch on
CPU, Y channel (one input and one output map instead of RGB): the peer SRLab's training of the same
networks is timed against (issue 16). Architectures as models.py builds them:
  Expanded SRCNN   9x9x64 ReLU -> {1x1, 3x3, 5x5} x32 ReLU, averaged -> 5x5x1 ReLU            (HR space)
  Denoising AE     3x3x64 ReLU -> 3x3x64 ReLU -> T3x3x64 ReLU (+ 2nd) -> T3x3x64 ReLU (+ 1st) -> 5x5x1
  Deep denoising   2x conv64 -> pool -> 2x conv128 -> pool -> conv256 -> up -> 2x conv128 (+) -> up
                   -> 2x conv64 (+) -> 5x5x1                                                     (HR space)
  ResNet SR x2     3x3x64 ReLU -> 6 residual blocks (conv-BN-ReLU-conv-BN + identity) -> + first
                   -> nearest x2 -> 3x3x64 ReLU -> 3x3x1                                          (LR space)
'same' padding throughout; the stride-1 transposed 3x3 convolutions are ordinary padded convolutions
with flipped weights, timed here as ConvTranspose2d as Keras defines them. Training: forward, MSE,
backward and an Adam step on a batch of sub-images (HR 32x32, or LR 16x16 -> 32x32 for ResNet SR).
Inference: one 256x256 HR output.
usage: python bench_keras_variants.py [THREADS] [REPS]   (run from ../shared/peers or with it on PYTHONPATH)"""
import os, sys
TH = int(sys.argv[1]) if len(sys.argv) > 1 else 2
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = str(TH)
sys.path.insert(0, os.environ.get("SRLAB_PEERS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "peers")))
import torch, torch.nn as nn
from benchutil import bench, summary

REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
torch.set_num_threads(TH)
torch.manual_seed(0)


def conv(c, o, k, relu=True):
    return [nn.Conv2d(c, o, k, padding=k // 2)] + ([nn.ReLU()] if relu else [])


class Expanded(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Sequential(*conv(1, 64, 9))
        self.branches = nn.ModuleList([nn.Sequential(*conv(64, 32, k)) for k in (1, 3, 5)])
        self.last = nn.Sequential(*conv(32, 1, 5))  # models.py puts a ReLU on the output too

    def forward(self, x):
        x = self.first(x)
        return self.last(sum(b(x) for b in self.branches) / 3)


class DenoisingAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Sequential(*conv(1, 64, 3)), nn.Sequential(*conv(64, 64, 3))
        self.t2 = nn.Sequential(nn.ConvTranspose2d(64, 64, 3, padding=1), nn.ReLU())
        self.t1 = nn.Sequential(nn.ConvTranspose2d(64, 64, 3, padding=1), nn.ReLU())
        self.out = nn.Conv2d(64, 1, 5, padding=2)

    def forward(self, x):
        a = self.c1(x); b = self.c2(a)
        b = b + self.t2(b)
        return self.out(a + self.t1(b))


class DeepDenoise(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Sequential(*conv(1, 64, 3), *conv(64, 64, 3))
        self.c2 = nn.Sequential(*conv(64, 128, 3), *conv(128, 128, 3))
        self.c3 = nn.Sequential(*conv(128, 256, 3))
        self.d2 = nn.Sequential(*conv(256, 128, 3), *conv(128, 128, 3))
        self.d1 = nn.Sequential(*conv(128, 64, 3), *conv(64, 64, 3))
        self.out = nn.Conv2d(64, 1, 5, padding=2)
        self.pool, self.up = nn.MaxPool2d(2), nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x):
        c1 = self.c1(x); c2 = self.c2(self.pool(c1)); c3 = self.c3(self.pool(c2))
        m1 = self.up(c2 + self.d2(self.up(c3)))
        return self.out(c1 + self.d1(m1))


class ResNetSR(nn.Module):
    def __init__(self, blocks=6, scale=2):
        super().__init__()
        self.first = nn.Sequential(*conv(1, 64, 3))
        self.blocks = nn.ModuleList([nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                                                   nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64)) for _ in range(blocks)])
        self.upscale = nn.Sequential(nn.Upsample(scale_factor=scale, mode="nearest"), *conv(64, 64, 3))
        self.last = nn.Conv2d(64, 1, 3, padding=1)

    def forward(self, x):
        x0 = self.first(x); x = x0
        for b in self.blocks:
            x = x + b(x)
        return self.last(self.upscale(x + x0))


models = {"Expanded SRCNN": (Expanded, 1), "Denoising AE SRCNN": (DenoisingAE, 1),
          "Deep denoising SR": (DeepDenoise, 1), "ResNet SR x2": (ResNetSR, 2)}
print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, cpu capability={torch.backends.cpu.get_cpu_capability()}")
for name, (make, scale) in models.items():
    m = make()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    bs, side = 64, 32
    x = torch.rand(bs, 1, side // scale, side // scale); y = torch.rand(bs, 1, side, side)
    lossf = nn.MSELoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = lossf(m(x), y)
        loss.backward()
        opt.step()
    ts, others = bench(step, reps=REPS, warm=3)
    med, lo, hi = summary(ts)
    print(f"Keras-variant {name} train bs={bs} HR {side}x{side} adam: median {med*1e3:7.2f} ms/step  {bs/med:8.0f} samples/s  "
          f"(fastest {bs/lo:.0f}, slowest {bs/hi:.0f} samples/s; {len(ts)} steps; others used {others:.0%})", flush=True)
    m.eval()
    xi = torch.rand(1, 1, 256 // scale, 256 // scale)
    with torch.inference_mode():
        ts, others = bench(lambda: m(xi), reps=REPS, warm=2)
    med, lo, hi = summary(ts)
    print(f"Keras-variant {name} infer HR 256x256: median {med*1e3:7.2f} ms/image  ({len(ts)} runs; others used {others:.0%})", flush=True)
