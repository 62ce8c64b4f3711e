#!/usr/bin/env python3
"""CPU time per training step and per sampling batch of the PyTorch reference, one thread.

A load-robust companion to pytorch_reference.py for bench/engine.ts: on a machine shared with other
work, images per wall-clock second mostly measure the share of a core a process got, while CPU
seconds per step on one thread measure the engine. Networks and latent sampling come from the
reference itself; the step below is its train_step, which is local to its main().

  /usr/bin/python3 bench/engine-profile.py --arch mnist --steps 10 --samples 10
Prints one line: PROFILE {json}.
"""
import argparse
import importlib.util
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

REFERENCE = "/work/shared/bench/pytorch_reference.py"


def load_reference():
    spec = importlib.util.spec_from_file_location("pytorch_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", choices=["mnist", "faces64"], default="mnist")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ref = load_reference()
    generator, body, features, codes = (ref.mnist_networks if args.arch == "mnist"
                                        else ref.faces64_networks)()
    head = nn.Linear(features, 1)
    q_head = nn.Sequential(nn.Linear(features, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.1),
                           nn.Linear(128, sum(codes["categorical"]) + codes["continuous"]))
    d_optimizer = torch.optim.Adam([*body.parameters(), *head.parameters()], 2e-4, betas=(0.5, 0.999))
    g_optimizer = torch.optim.Adam([*generator.parameters(), *q_head.parameters()], 1e-3,
                                   betas=(0.5, 0.999))
    batch = 64
    real = torch.rand(batch, *codes["image"])
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

    def train_step():
        latent, classes, continuous = ref.sample_latent(codes, batch)
        fake = generator(latent)
        d_optimizer.zero_grad(set_to_none=True)
        d_loss = (F.binary_cross_entropy_with_logits(head(body(real)), ones)
                  + F.binary_cross_entropy_with_logits(head(body(fake.detach())), zeros))
        d_loss.backward()
        d_optimizer.step()
        g_optimizer.zero_grad(set_to_none=True)
        features_fake = body(fake)
        q = q_head(features_fake)
        info_loss, start = 0.0, 0
        for k, c in zip(codes["categorical"], classes):
            info_loss = info_loss + F.cross_entropy(q[:, start:start + k], c)
            start += k
        info_loss = info_loss + 0.5 * ((q[:, start:] - continuous) ** 2).sum(1).mean()
        g_loss = F.binary_cross_entropy_with_logits(head(features_fake), ones) + info_loss
        g_loss.backward()
        g_optimizer.step()
        return d_loss.item(), g_loss.item()

    train_step()
    started = time.process_time()
    for _ in range(args.steps):
        train_step()
    train_ms = (time.process_time() - started) / args.steps * 1000

    generator.eval()
    with torch.no_grad():
        generator(ref.sample_latent(codes, 100)[0])
        started = time.process_time()
        for _ in range(args.samples):
            generator(ref.sample_latent(codes, 100)[0])
        sample_ms = (time.process_time() - started) / args.samples * 1000
    print("PROFILE " + json.dumps({"engine": "pytorch", "arch": args.arch,
                                   "train_cpu_ms_per_step": round(train_ms, 1),
                                   "sample_cpu_ms_per_100": round(sample_ms, 1)}), flush=True)


if __name__ == "__main__":
    main()
