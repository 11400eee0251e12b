#!/usr/bin/env bash
# SRCNN 9-5-5 ×3, second stage: fine-tunes the 9-5-5 run of experiments/train_srcnn_x3_9-5-5.sh
# (stopped after epoch 244 at a constant Adam 3e-4, batch 16; best Set5 32.6470 at epoch 211) on
# more of T91 and with larger batches. Why: that run's validation PSNR was still rising slowly
# with the training loss still falling (under-trained, not over-fitted), and batch 16 runs at
# about 60% of the samples/s of batch 128 on this machine (900–1,000 against 1,622 in the logs). Departures from the paper, on top
# of the first stage's (Adam, He initialisation, augmentation, T91 only): scale augmentation —
# each T91 image also gives sub-images of its bicubic copies downscaled by 0.9, 0.8, 0.7, 0.6
# (still only the 91 images) — and batch 128 (the paper's) at Adam lr 3e-4, /10 at 60 and 125, 140 epochs.
# stage1.safetensors is that run's last.safetensors after epoch 244 (Set5 32.6306).
# Running this script again resumes (bit-identically; FRESH=1 starts over).
export LR_MILESTONES=${LR_MILESTONES:-60,125} EPOCHS=${EPOCHS:-140}
exec "$(dirname "$0")/srcnn_run.sh" srcnn_x3_9-5-5_ft --arch 9-5-5 --scale 3 --optimizer adam \
  --lr 3e-4 --last-layer-lr 3e-4 --batch 128 --shards 2 --seed 2 --augment \
  --downscales 0.9,0.8,0.7,0.6 \
  --init-model results/models/checkpoints/srcnn_x3_9-5-5/stage1.safetensors \
  "$@"
