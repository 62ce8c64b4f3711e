/**
 * A table of bad inputs, each run through the built `infogan` command as a user would: the
 * command, the exit code it must end with (2 for usage, 1 otherwise; 0 where the input is damaged
 * but recoverable) and the one line it must print on stderr (after one warning line for each
 * other thing found damaged, if any), with no stack trace.
 *
 * `BAD_INPUT_TABLE=1 node dist/src/cli/bad-input.test.js` also prints the table, with the message
 * each command printed, as markdown on stdout.
 *
 * In commands, `$FX` is a folder of prepared bad files, `$RUN` a tiny trained run, `$MNIST` the
 * real MNIST idx files and `$TINY` the tiny model's flags (src/testing/cli.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { encodePng } from '../util/png';
import {
  lines, mapLimit, MNIST, runCli, TINY_MODEL, tinyTrainArgs, type CliResult,
} from '../testing/cli';

interface BadInput {
  /** What is wrong with the input. */
  what: string;
  /** `infogan` arguments; `$FX`, `$RUN`, `$MNIST`, `$TINY` are expanded (see the file comment). */
  command: string[];
  /** 2: usage error; 1: any other error; 0: damaged input recovered from, with a warning. */
  code: 0 | 1 | 2;
  /** The one line expected on stderr (the last, after any `warnings`). */
  message: RegExp;
  /** Warnings expected before it, one line each, for input damaged in more than one way. */
  warnings?: RegExp[];
}

/** Flags that make a run on a bad image folder fail or succeed within a second or two. */
const FOLDER = ['--threads', '1', '--batch_size', '4', '--epochs', '1', '$TINY'];

const ROWS: BadInput[] = [
  // The architecture spec language.
  { what: 'empty spec', command: ['train', '--generator', ' '], code: 2,
    message: /^infogan: --generator is empty: expected comma-separated layers such as fc:1024,/ },
  { what: 'stray comma', command: ['train', '--generator', 'fc:1024,,reshape:1:1:1024'], code: 2,
    message: /^infogan: --generator layer 2 "" : empty layer; remove the stray comma$/ },
  { what: 'unknown layer kind', command: ['train', '--generator', 'foo:3'], code: 2,
    message: /layer 1 "foo:3" : unknown layer kind "foo"; did you mean fc\? \(valid: conv, deconv, fc, reshape\)$/ },
  { what: 'size not a number', command: ['train', '--generator', 'fc:abc,reshape:1:1:1'], code: 2,
    message: /layer 1 "fc:abc" : UNITS "abc" is not a number; expected fc:UNITS\[:ACTIVATION\]/ },
  { what: 'size zero', command: ['train', '--generator', 'fc:0,reshape:1:1:1'], code: 2,
    message: /layer 1 "fc:0" : UNITS "0" is 0, not a positive integer$/ },
  { what: 'size fractional', command: ['train', '--generator', 'fc:7/2,reshape:1:1:1'], code: 2,
    message: /UNITS "7\/2" is 3\.5, not a positive integer$/ },
  { what: 'size over 2^31-1', command: ['train', '--generator', 'fc:99999999999,reshape:1:1:1'],
    code: 2, message: /UNITS "99999999999" is 99999999999, larger than 2147483647$/ },
  { what: 'unclosed parenthesis', command: ['train', '--discriminator', 'conv:4:2:(8'], code: 2,
    message: /layer 1 "conv:4:2:\(8" : CHANNELS "\(8" is not a number/ },
  { what: 'missing fields', command: ['train', '--discriminator', 'conv:4:2'], code: 2,
    message: /layer 1 "conv:4:2" : expected conv:KERNEL:STRIDE:CHANNELS\[:ACTIVATION\]\[:bn\|:nobn\]$/ },
  { what: 'unknown activation', command: ['train', '--discriminator', 'conv:4:2:64:swish'],
    code: 2, message: /unknown activation "swish"; valid: relu, lrelu \(leaky_relu\), sigmoid/ },
  { what: 'two activations', command: ['train', '--discriminator', 'conv:4:2:64:relu:tanh'],
    code: 2, message: /layer 1 "conv:4:2:64:relu:tanh" : two activations; expected conv:/ },
  { what: 'deconv on the noise vector', command: ['train', '--generator', 'deconv:4:2:1'],
    code: 2, message: /deconv needs an image but the noise vector comes in; put reshape:H:W:C before it$/ },
  { what: 'conv after fc', command: ['train', '--discriminator', 'fc:32,conv:4:2:8'], code: 2,
    message: /layer 2 "conv:4:2:8" : conv needs an image but the layer before gives a vector/ },
  { what: 'reshape of the wrong size', command: ['train', '--generator', 'fc:1024,reshape:7:7:128'],
    code: 2, message: /reshape to 7x7x128 = 6272 values, but the fc before gives 1024$/ },
  { what: 'generator ends in a vector', command: ['train', '--generator', 'fc:1024'], code: 2,
    message: /the generator must end in an image: conv, deconv or reshape$/ },
  { what: 'generator image size differs from the data',
    command: ['train', '--dataset', '$MNIST', '--max_images', '16', '--batch_size', '16',
      '--threads', '1', '--generator', 'fc:32,fc:7x7x8,reshape:7:7:8,deconv:4:2:1:sigmoid'], code: 2,
    message: /^infogan: the generator makes \[14, 14, 1\] images \(height, width, channels\) but MNIST \(\S+\) gives 28x28 \(width x height\): change --generator or --scale_dataset$/ },
  // Refused before the folder is read: an empty folder would otherwise be the error.
  { what: 'default networks with another --scale_dataset',
    command: ['train', '--dataset', '$FX/empty', '--scale_dataset', '32', '32'], code: 2,
    message: /^infogan: the generator makes \[28, 28, 1\] images \(height, width, channels\) but --scale_dataset gives 32x32 \(width x height\)/ },
  { what: 'generator channels differ from the data', command: ['train', '--dataset', '$MNIST',
    '--max_images', '16', '--batch_size', '16', '--threads', '1', '--generator',
    'fc:32,fc:6272,reshape:7:7:128,deconv:4:2:64,deconv:4:2:3:sigmoid'], code: 2,
    message: /^infogan: the generator makes \[28, 28, 3\] images but the data is \[28, 28, 1\]/ },

  // Flags.
  { what: 'unknown flag', command: ['train', '--batchsize', '16'], code: 2,
    message: /^infogan: unknown flag --batchsize; did you mean --batch_size\?$/ },
  { what: 'unknown short flag', command: ['train', '-b', '16'], code: 2,
    message: /^infogan: unknown flag -b \(see infogan train --help\)$/ },
  { what: 'missing value at the end', command: ['train', '--batch_size'], code: 2,
    message: /^infogan: --batch_size needs a value \(N\)$/ },
  { what: 'missing value before a flag', command: ['train', '--dataset', '--epochs', '2'],
    code: 2, message: /^infogan: --dataset needs a value \(DIR\)$/ },
  { what: 'empty inline value', command: ['train', '--batch_size='], code: 2,
    message: /^infogan: --batch_size expects an integer, got ""$/ },
  { what: 'word for a number', command: ['train', '--batch_size', 'sixteen'], code: 2,
    message: /^infogan: --batch_size expects an integer, got "sixteen"$/ },
  { what: 'fraction for an integer', command: ['train', '--epochs', '1.5'], code: 2,
    message: /^infogan: --epochs expects an integer, got "1\.5"$/ },
  { what: 'exponent for an integer', command: ['train', '--epochs=1e9'], code: 2,
    message: /^infogan: --epochs expects an integer, got "1e9"$/ },
  { what: 'batch of one', command: ['train', '--batch_size', '1'], code: 2,
    message: /^infogan: --batch_size must be >= 2, got 1$/ },
  { what: 'zero learning rate', command: ['train', '--generator_lr', '0'], code: 2,
    message: /^infogan: --generator_lr must be > 0, got 0$/ },
  { what: 'negative learning rate', command: ['train', '--discriminator_lr', '-1'], code: 2,
    message: /^infogan: --discriminator_lr must be > 0, got -1$/ },
  { what: 'infinite learning rate', command: ['train', '--generator_lr', '1e999'], code: 2,
    message: /^infogan: --generator_lr must be finite, got 1e999$/ },
  { what: 'NaN learning rate', command: ['train', '--generator_lr', 'nan'], code: 2,
    message: /^infogan: --generator_lr expects a number, got "nan"$/ },
  { what: 'seed above 2^32-1', command: ['train', '--seed', '4294967296'], code: 2,
    message: /^infogan: --seed must be between 0 and 4294967295, got 4294967296$/ },
  { what: 'unknown choice', command: ['train', '--precision', 'float16'], code: 2,
    message: /^infogan: --precision expects float32 or bfloat16, got "float16"; did you mean bfloat16\?$/ },
  { what: 'unknown --on_nan', command: ['train', '--on_nan', 'ignore'], code: 2,
    message: /^infogan: --on_nan expects stop or rollback, got "ignore"$/ },
  { what: 'one value for two', command: ['train', '--scale_dataset', '64'], code: 2,
    message: /^infogan: --scale_dataset needs 2 values \(W H\), got 1$/ },
  { what: 'huge --scale_dataset', command: ['train', '--scale_dataset', '100000', '100000'],
    code: 2, message: /^infogan: --scale_dataset 100000 100000: at most 16384 pixels a side$/ },
  { what: 'flag given twice', command: ['train', '--epochs', '3', '--epochs', '4'], code: 2,
    message: /^infogan: --epochs given twice; give each flag once$/ },
  { what: 'stray argument', command: ['train', 'mnist'], code: 2,
    message: /^infogan: unexpected argument "mnist": values go right after their flag/ },
  { what: 'value for a switch', command: ['train', '--force_grayscale=maybe'], code: 2,
    message: /^infogan: --force_grayscale is a switch, got "maybe"; use --force_grayscale or --noforce_grayscale$/ },
  { what: 'negated non-switch', command: ['train', '--noepochs'], code: 2,
    message: /^infogan: --noepochs: --epochs is not a switch; give it N$/ },
  { what: 'cardinality 1', command: ['train', '--categorical_cardinality', '1'], code: 2,
    message: /^infogan: --categorical_cardinality must be >= 2, got 1$/ },
  { what: 'InfoGAN without codes',
    command: ['train', '--categorical_cardinality', '--num_continuous', '0'], code: 2,
    message: /^infogan: --infogan needs at least one code: give --categorical_cardinality K/ },
  { what: 'plain GAN without noise', command: ['train', '--noinfogan', '--style_size', '0'],
    code: 2, message: /^infogan: --noinfogan needs --style_size >= 1/ },
  { what: 'fewer images than a batch', command: ['train', '--max_images', '8', '--batch_size', '16'],
    code: 2, message: /^infogan: --max_images 8 is fewer than --batch_size 16$/ },
  { what: 'unknown command', command: ['trian'], code: 2,
    message: /^infogan: unknown command trian; did you mean train\?$/ },
  { what: 'model too big for memory',
    command: ['train', '--dataset', '$MNIST', '--max_images', '16', '--batch_size', '16',
      '--threads', '1', '--style_size', '2000000000'], code: 1,
    message: /^infogan: .*can't allocate memory: you tried to allocate \d+ bytes/ },

  // Data sets.
  { what: 'dataset folder missing', command: ['train', '--dataset', '$FX/missing', ...FOLDER],
    code: 2, message: /^infogan: dataset folder not found: \S+\/missing$/ },
  { what: 'dataset is a file', command: ['train', '--dataset', '$FX/a-file.txt', ...FOLDER],
    code: 2, message: /^infogan: --dataset must be a folder: \S+\/a-file\.txt$/ },
  { what: 'empty folder', command: ['train', '--dataset', '$FX/empty', ...FOLDER], code: 1,
    message: /^infogan: no readable images in \S+\/empty: it holds no files$/ },
  { what: 'folder of text files', command: ['train', '--dataset', '$FX/text', ...FOLDER],
    code: 1, message: /no readable images in \S+: skipped 3 of 3 files: 3 not an image \(note0\.txt, / },
  { what: 'a .jpg that is really text', command: ['train', '--dataset', '$FX/jpg-text', ...FOLDER],
    code: 1, message: /skipped 1 of 1 files: 1 not an image \(photo\.jpg\)$/ },
  { what: 'zero-byte images', command: ['train', '--dataset', '$FX/zero-byte', ...FOLDER],
    code: 1, message: /skipped 3 of 3 files: 3 empty \(img0\.png, img1\.png, img2\.png\)$/ },
  { what: 'corrupt PNG', command: ['train', '--dataset', '$FX/corrupt-png', ...FOLDER], code: 1,
    message: /skipped 1 of 1 files: 1 unreadable \(bad\.png: .+\)$/ },
  { what: 'corrupt JPEG', command: ['train', '--dataset', '$FX/corrupt-jpeg', ...FOLDER],
    code: 1, message: /skipped 1 of 1 files: 1 unreadable \(bad\.jpg: .+\)$/ },
  { what: 'truncated PNG', command: ['train', '--dataset', '$FX/truncated', ...FOLDER], code: 1,
    message: /skipped 1 of 1 files: 1 unreadable \(cut\.png: .+\)$/ },
  { what: '0x0 PNG', command: ['train', '--dataset', '$FX/zero-size', ...FOLDER], code: 1,
    message: /skipped 1 of 1 files: 1 unreadable \(empty\.png: .+\)$/ },
  { what: 'PNG header claiming 100000x100000',
    command: ['train', '--dataset', '$FX/huge-png', ...FOLDER], code: 1,
    message: /skipped 1 of 1 files: 1 unreadable \(huge\.png: Input image exceeds pixel limit\)$/ },
  { what: 'PGM header claiming 100000x100000',
    command: ['train', '--dataset', '$FX/huge-pgm', ...FOLDER], code: 1,
    message: /1 unreadable \(huge\.pgm: truncated: raster needs 10000000000 bytes, file has \d+\)$/ },
  { what: 'a huge PNG among four 28x28 ones (skipped: 4 load)',
    command: ['train', '--dataset', '$FX/huge-among', '--threads', '1', '--batch_size', '8', '$TINY'],
    code: 2, message: /^infogan: --batch_size 8 is larger than the 4 images loaded from \S+huge-among; use a smaller --batch_size$/ },
  { what: 'PNGs named .pgm (read by content: 8 load)',
    command: ['train', '--dataset', '$FX/png-as-pgm', '--threads', '1', '--batch_size', '64', '$TINY'],
    code: 2,
    message: /^infogan: --batch_size 64 is larger than the 8 images loaded from \S+png-as-pgm; use a smaller --batch_size$/ },
  { what: 'attribute list with a short row', command: ['train', '--dataset', '$FX/labelled', ...FOLDER],
    code: 1, message: /^infogan: \S+\/list_attr_celeba\.txt:4: 1 values, expected 2$/ },
  { what: 'attribute value not 1/-1',
    command: ['train', '--dataset', '$FX/png-as-pgm', '--labels', '$FX/labels-bad-value.txt', ...FOLDER],
    code: 1, message: /^infogan: \S+labels-bad-value\.txt:3: attribute value 'yes' is not 1 or -1$/ },
  { what: 'attribute list without its header',
    command: ['train', '--dataset', '$FX/png-as-pgm', '--labels', '$FX/labels-no-header.txt', ...FOLDER],
    code: 1, message: /--labels \S+labels-no-header\.txt:1: expected "file class" \(a class per image; a tab before the class when the file name has spaces\) or a CelebA attribute list/ },
  { what: 'attribute list missing',
    command: ['train', '--dataset', '$FX/png-as-pgm', '--labels', '$FX/no-labels.txt', ...FOLDER],
    code: 2, message: /^infogan: labels file not found: \S+no-labels\.txt$/ },
  { what: 'labels given as a folder',
    command: ['train', '--dataset', '$FX/png-as-pgm', '--labels', '$FX/png-as-pgm', ...FOLDER],
    code: 2, message: /^infogan: --labels \S+png-as-pgm: expected a file of labels, got a folder$/ },
  { what: 'labels given as a pipe (reading it would wait for a writer)',
    command: ['train', '--dataset', '$FX/png-as-pgm', '--labels', '$FX/labels.fifo', ...FOLDER],
    code: 2, message: /^infogan: --labels \S+labels\.fifo: expected a file of labels, got a pipe or device$/ },
  { what: 'MNIST idx file cut short', command: ['train', '--dataset', '$FX/idx-short', ...FOLDER],
    code: 1, message: /^infogan: train-images-idx3-ubyte: expected 12544 data bytes for \[16, 28, 28\] but found 2$/ },
  { what: 'MNIST idx.gz cut short', command: ['train', '--dataset', '$FX/idx-gz-cut', ...FOLDER],
    code: 1, message: /^infogan: train-images-idx3-ubyte\.gz: not a readable gzip file/ },

  // Run folders and checkpoints.
  { what: 'resume with another --generator',
    command: ['train', '--resume', '$RUN/good', '--generator', 'fc:64,fc:392,reshape:7:7:8,deconv:4:2:1:sigmoid'],
    code: 2, message: /^infogan: cannot change on --resume: --generator \(saved fc:32,fc:392,\S+, given fc:64,fc:392,\S+\); start a new run without --resume$/ },
  { what: 'a new run into a folder that already holds one',
    command: ['train', '--dataset', '$MNIST', '--out', '$RUN/good'], code: 2,
    message: /^infogan: --out \S+good already holds a run; continue it with --resume \S+good, or choose a new --out$/ },
  { what: 'resume changing two settings',
    command: ['train', '--resume', '$RUN/good', '--batch_size', '8', '--style_size', '4'], code: 2,
    message: /cannot change on --resume: --style_size \(saved 8, given 4\), --batch_size \(saved 16, given 8\)/ },
  { what: 'sample: checkpoint of another architecture than config.json',
    command: ['sample', '--run', '$RUN/mismatch', '--out', '$RUN/s.png'], code: 1,
    message: /^infogan: \S+step-000000004\.safetensors does not match \S+\/config\.json: .*0\.weight has shape 32x19, expected 48x19$/ },
  { what: 'resume: checkpoint of another architecture than config.json',
    command: ['train', '--resume', '$RUN/mismatch'], code: 1,
    message: /^infogan: cannot resume from \S+step-000000004\.safetensors: .*expected 48x19; it was written by a different architecture$/ },
  { what: 'the only checkpoint truncated', command: ['sample', '--run', '$RUN/truncated', '--out', '$RUN/s.png'],
    code: 1, message: /^infogan: no usable checkpoint in \S+: step-000000004\.safetensors checksum mismatch$/ },
  { what: 'resume: the only checkpoint truncated', command: ['train', '--resume', '$RUN/truncated'],
    code: 1, message: /^infogan: no usable checkpoint in \S+: step-000000004\.safetensors checksum mismatch$/ },
  { what: 'manifest lists a missing file', command: ['sample', '--run', '$RUN/missing-file', '--out', '$RUN/s.png'],
    code: 1, message: /^infogan: no usable checkpoint in \S+: step-000000004\.safetensors missing$/ },
  { what: 'damaged manifest, newest checkpoint truncated (falls back)',
    command: ['sample', '--run', '$RUN/manifest', '--out', '$RUN/s.png'], code: 0,
    warnings: [/^warning: \S+manifest\/checkpoints\/manifest\.json is damaged \(not valid JSON\); checking each checkpoint by its own checksum instead$/],
    message: /^warning: checkpoint \S+step-000000008\.safetensors is unusable \(checksum mismatch\); falling back to the previous one$/ },
  { what: 'garbage manifest, newest checkpoint overwritten in the middle (falls back)',
    command: ['sample', '--run', '$RUN/manifest-flip', '--out', '$RUN/s.png'], code: 0,
    warnings: [/^warning: \S+manifest-flip\/checkpoints\/manifest\.json is damaged \(not valid JSON\); checking each checkpoint by its own checksum instead$/],
    message: /^warning: checkpoint \S+step-000000008\.safetensors is unusable \(checksum mismatch\); falling back to the previous one$/ },
  { what: 'resume: garbage manifest, newest checkpoint overwritten in the middle (falls back)',
    command: ['train', '--resume', '$RUN/resume-flip'], code: 0,
    warnings: [/^warning: \S+resume-flip\/checkpoints\/manifest\.json is damaged \(not valid JSON\); checking each checkpoint by its own checksum instead$/],
    message: /^warning: checkpoint \S+step-000000008\.safetensors is unusable \(checksum mismatch\); renamed it to step-000000008\.safetensors\.damaged; falling back to the previous one$/ },
  { what: 'garbage manifest, every checkpoint overwritten in the middle',
    command: ['sample', '--run', '$RUN/all-flipped', '--out', '$RUN/s.png'], code: 1,
    message: /^infogan: no usable checkpoint in \S+: step-000000008\.safetensors checksum mismatch; step-000000004\.safetensors checksum mismatch; and \S+manifest\.json is damaged \(not valid JSON\)$/ },
  { what: 'sample: run folder without config.json',
    command: ['sample', '--run', '$RUN/no-config', '--out', '$RUN/s.png'], code: 2,
    message: /^infogan: --run \S+no-config: no config\.json there; expected a run folder written by infogan train$/ },
  { what: 'resume: run folder without config.json', command: ['train', '--resume', '$RUN/no-config'],
    code: 2, message: /^infogan: --resume \S+no-config: no config\.json there; expected a run folder written by infogan train$/ },
  { what: 'config.json not JSON', command: ['train', '--resume', '$RUN/bad-json'], code: 1,
    message: /^infogan: \S+bad-json\/config\.json is not valid JSON \(the run settings\); the run folder is damaged$/ },
  { what: 'config.json with a broken spec', command: ['sample', '--run', '$RUN/bad-spec', '--out', '$RUN/s.png'],
    code: 1, message: /^infogan: \S+bad-spec\/config\.json is damaged: --generator layer 1 "fx:32" : unknown layer kind "fx"/ },
  { what: 'no checkpoints folder', command: ['sample', '--run', '$RUN/no-checkpoints', '--out', '$RUN/s.png'],
    code: 1, message: /^infogan: no checkpoint in \S+\/checkpoints; expected step-\*\.safetensors written by infogan train$/ },
  { what: 'sample: no such iteration',
    command: ['sample', '--run', '$RUN/good', '--checkpoint', '999', '--out', '$RUN/s.png'], code: 2,
    message: /^infogan: no checkpoint for iteration 999 in \S+; it has \d+(, \d+)*$/ },
  { what: 'sample: --run that is not there', command: ['sample', '--run', '$RUN/not-there', '--out', '$RUN/s.png'],
    code: 2, message: /^infogan: --run \S+not-there: no such folder; expected a run folder written by infogan train$/ },
  { what: 'train: --resume of a folder that is not there',
    command: ['train', '--resume', '$RUN/not-there'],
    code: 2, message: /^infogan: --resume \S+not-there: no such folder; expected a run folder written by infogan train$/ },
  { what: 'config.json from a newer infogan',
    command: ['sample', '--run', '$RUN/future-format', '--out', '$RUN/s.png'], code: 1,
    message: /^infogan: \S+future-format\/config\.json has format 99; this infogan reads formats 1-\d+ \(a newer infogan, or a damaged file\)$/ },
  { what: 'config.json of null', command: ['sample', '--run', '$RUN/null-config', '--out', '$RUN/s.png'],
    code: 1, message: /^infogan: \S+null-config\/config\.json is damaged: expected a JSON object \(the run settings\)$/ },
  { what: 'config.json with a word for a list',
    command: ['sample', '--run', '$RUN/word-cardinality', '--out', '$RUN/s.png'], code: 1,
    message: /^infogan: \S+word-cardinality\/config\.json is damaged: categoricalCardinality is "ten", expected a list of numbers for --categorical_cardinality$/ },
  { what: 'config.json without specs', command: ['sample', '--run', '$RUN/empty-config', '--out', '$RUN/s.png'],
    code: 1, message: /^infogan: \S+empty-config\/config\.json is damaged: it has no generator spec$/ },
  { what: 'sample: code out of range',
    command: ['sample', '--run', '$RUN/good', '--code', 'continuous:5', '--out', '$RUN/s.png'],
    code: 2, message: /^infogan: --code continuous:5: the run \S+ has 1 continuous code \(indices 0-0\)$/ },
  { what: 'sample: --out inside a file',
    command: ['sample', '--run', '$RUN/good', '--out', '$FX/a-file.txt/s.png'], code: 1,
    message: /^infogan: cannot write --out \S+\/a-file\.txt\/s-\w+\.png \(ENOTDIR\); choose a file you can write$/ },
  { what: 'export: --out inside a file',
    command: ['export', '--run', '$RUN/good', '--out', '$FX/a-file.txt/export'], code: 1,
    message: /^infogan: cannot write --out \S+\/a-file\.txt\/export \(ENOTDIR\); choose a folder you can write to$/ },
  { what: 'evaluate: --out under /proc fails at once', command: ['evaluate', '--run', '$RUN/good',
    '--dataset', '$MNIST', '--max_images', '16', '--out', '/proc/infogan-test/e.json'], code: 1,
    message: /^infogan: cannot write --out \/proc\/infogan-test\/e\.json \(ENOENT\); choose a file you can write$/ },
  { what: 'sample: --out missing', command: ['sample', '--run', '$RUN/good'], code: 2,
    message: /^infogan: infogan sample needs --out FILE\.png, the image to write$/ },
];

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'infogan-bad-input-'));
const FX = path.join(temp, 'fx');
const RUN = path.join(temp, 'run');
after(() => fs.rmSync(temp, { recursive: true, force: true }));

/** The command with its placeholders filled in. */
function expand(command: string[]): string[] {
  return command.flatMap((arg) => arg === '$TINY' ? TINY_MODEL
    : [arg.replace('$FX', FX).replace('$RUN', RUN).replace('$MNIST', MNIST)]);
}

function grey(width: number, height: number): Buffer {
  const pixels = Uint8Array.from({ length: width * height }, (_, i) => (i * 7) % 256);
  return encodePng(pixels, width, height, 1);
}

/** A PNG whose header claims `width` x `height`, with a valid header checksum. */
function pngClaiming(width: number, height: number): Buffer {
  const png = Buffer.from(grey(28, 28));
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** Writes `files` (name -> content) into the new folder $FX/`name`. */
function folder(name: string, files: Record<string, string | Uint8Array> = {}): string {
  const dir = path.join(FX, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

function writeImageFixtures(): void {
  const png = grey(28, 28);
  folder('empty');
  fs.writeFileSync(path.join(FX, 'a-file.txt'), 'not a folder\n');
  folder('text', { 'note0.txt': 'hello\n', 'note1.txt': 'hello\n', 'note2.txt': 'hello\n' });
  folder('jpg-text', { 'photo.jpg': 'this is really text\n' });
  folder('zero-byte', { 'img0.png': '', 'img1.png': '', 'img2.png': '' });
  const scrambled = Buffer.from(png).map((byte, i) => (i < 40 ? byte : (i * 31) & 255));
  folder('corrupt-png', { 'bad.png': scrambled });
  folder('corrupt-jpeg', { 'bad.jpg': Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
    Buffer.alloc(200, 7)]) });
  folder('truncated', { 'cut.png': png.subarray(0, png.length >> 1) });
  folder('zero-size', { 'empty.png': pngClaiming(0, 0) });
  folder('huge-png', { 'huge.png': pngClaiming(100000, 100000) });
  folder('huge-pgm', { 'huge.pgm': 'P5\n100000 100000\n255\n' + 'x'.repeat(100) });
  const fours = Object.fromEntries([0, 1, 2, 3].map((i) => [`ok${i}.png`, png]));
  folder('huge-among', { ...fours, 'huge.png': pngClaiming(100000, 100000) });
  const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`img${i}.pgm`, png]));
  folder('png-as-pgm', eight);
  const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${i}.png`, png]));
  const shortRow = '16\nSmiling Male\n0.png 1 -1\n1.png 1\n';
  folder('labelled', { ...sixteen, 'list_attr_celeba.txt': shortRow });
  fs.writeFileSync(path.join(FX, 'labels-bad-value.txt'), '8\nSmiling Male\nimg0.pgm 1 yes\n');
  fs.writeFileSync(path.join(FX, 'labels-no-header.txt'), 'img0.pgm 1 -1\n');
  execFileSync('mkfifo', [path.join(FX, 'labels.fifo')]);
  // An idx header for [16, 28, 28] followed by 2 bytes; and a gzip cut off after 5,000 bytes.
  folder('idx-short', { 'train-images-idx3-ubyte':
    Buffer.from([0, 0, 8, 3, 0, 0, 0, 16, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2]) });
  const gz = fs.readFileSync(path.join(MNIST, 'train-images-idx3-ubyte.gz'));
  folder('idx-gz-cut', { 'train-images-idx3-ubyte.gz': gz.subarray(0, 5000) });
}

/** A tiny trained run ($RUN/good, checkpoints at 4 and 8) and damaged copies of it. */
async function writeRunFixtures(): Promise<void> {
  const good = path.join(RUN, 'good');
  const args = tinyTrainArgs(good, ['--max_images', '64', '--checkpoint_every', '4']);
  const trained = await runCli(args);
  assert.equal(trained.code, 0, trained.stderr);
  const copy = (name: string, damage: (dir: string) => void) => {
    const dir = path.join(RUN, name);
    fs.cpSync(good, dir, { recursive: true });
    damage(dir);
  };
  const checkpoint = (dir: string, iteration: number) =>
    path.join(dir, 'checkpoints', `step-${String(iteration).padStart(9, '0')}.safetensors`);
  const truncate = (file: string) =>
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 1000));
  // As the user trial did: 1 MB of 0xff in the middle (half of a smaller file), manifest garbage.
  const flip = (file: string) => {
    const bytes = fs.readFileSync(file);
    const length = Math.min(1 << 20, bytes.length >> 1);
    fs.writeFileSync(file, bytes.fill(0xff, (bytes.length - length) >> 1,
      ((bytes.length - length) >> 1) + length));
  };
  const garbageManifest = (dir: string) =>
    fs.writeFileSync(path.join(dir, 'checkpoints', 'manifest.json'), 'garbage\n');
  const editConfig = (dir: string, edit: (text: string) => string) => {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
  };
  // Checkpoints at 4 and 8 of 8 steps; the copies keep only the one at 4 unless said otherwise.
  const onlyFirst = (dir: string) => {
    fs.rmSync(checkpoint(dir, 8));
    const manifest = path.join(dir, 'checkpoints', 'manifest.json');
    const listed = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    listed.checkpoints = listed.checkpoints.filter((c: { iteration: number }) => c.iteration === 4);
    fs.writeFileSync(manifest, JSON.stringify(listed));
  };
  copy('mismatch', (dir) => {
    onlyFirst(dir);
    editConfig(dir, (text) => text.replace('"generator": "fc:32,', '"generator": "fc:48,'));
  });
  copy('truncated', (dir) => {
    onlyFirst(dir);
    truncate(checkpoint(dir, 4));
  });
  copy('missing-file', (dir) => {
    onlyFirst(dir);
    fs.rmSync(checkpoint(dir, 4));
  });
  copy('manifest', (dir) => {
    fs.writeFileSync(path.join(dir, 'checkpoints', 'manifest.json'), '{"format": "infogan-chec');
    truncate(checkpoint(dir, 8));
  });
  for (const name of ['manifest-flip', 'resume-flip']) {
    copy(name, (dir) => {
      garbageManifest(dir);
      flip(checkpoint(dir, 8));
    });
  }
  copy('all-flipped', (dir) => {
    garbageManifest(dir);
    flip(checkpoint(dir, 4));
    flip(checkpoint(dir, 8));
  });
  copy('no-config', (dir) => fs.rmSync(path.join(dir, 'config.json')));
  copy('bad-json', (dir) => editConfig(dir, (text) => text.slice(0, 40)));
  copy('bad-spec', (dir) => editConfig(dir, (text) => text.replace('"fc:32,', '"fx:32,')));
  copy('no-checkpoints', (dir) => fs.rmSync(path.join(dir, 'checkpoints'), { recursive: true }));
  copy('future-format', (dir) => editConfig(dir, (text) => text.replace(/"format": \d+/, '"format": 99')));
  copy('empty-config', (dir) => editConfig(dir, () => '{}'));
  copy('null-config', (dir) => editConfig(dir, () => 'null'));
  copy('word-cardinality', (dir) => editConfig(dir, (text) =>
    text.replace(/"categoricalCardinality": \[[^\]]*\]/, '"categoricalCardinality": "ten"')));
}

interface Outcome {
  row: BadInput;
  result: CliResult;
}

const outcomes: Outcome[] = [];

describe(`${ROWS.length} bad inputs: the exit code and one line, no stack trace`, () => {
  before(async () => {
    writeImageFixtures();
    await writeRunFixtures();
    // No bad input may allocate its way out: a 4 GB address-space cap catches one that tries.
    // Each row in a folder of its own: rows started in the same second would otherwise share
    // the default run folder runs/<time>.
    const results = await mapLimit(ROWS, 4, (row) => runCli(expand(row.command), {
      cwd: fs.mkdtempSync(path.join(temp, 'row-')), timeoutMs: 60_000,
      addressSpaceKb: 4_000_000 }));
    results.forEach((result, i) => outcomes.push({ row: ROWS[i], result }));
  });

  after(() => {
    if (process.env.BAD_INPUT_TABLE) process.stdout.write(markdownTable(outcomes) + '\n');
  });

  ROWS.forEach((row, i) => {
    it(`${i + 1}. ${row.what}`, () => {
      const { result } = outcomes[i];
      const stderr = lines(result.stderr);
      const shown = `${expand(row.command).join(' ')}\n${result.stderr}`;
      const expected = [...row.warnings ?? [], row.message];
      assert.equal(result.code, row.code, shown);
      assert.equal(stderr.length, expected.length,
        `expected ${expected.length} line(s) on stderr: ${shown}`);
      assert.doesNotMatch(result.stderr, /^\s+at /m, shown);
      expected.forEach((pattern, n) => assert.match(stderr[n], pattern));
    });
  });

  it('a PNG claiming 100000x100000 is refused without allocating for it', () => {
    const { result } = outcomes.find((o) => o.row.what.startsWith('PNG header claiming'))!;
    assert.ok(result.ms < 30_000, `took ${result.ms} ms`);
  });
});

describe('infogan --version', () => {
  it("prints the package's version and exits 0", async () => {
    const result = await runCli(['--version']);
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..',
      'package.json'), 'utf8')) as { version: string };
    assert.deepEqual([result.code, lines(result.stdout)], [0, [`infogan ${version}`]]);
  });
});

function markdownTable(rows: Outcome[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const shorten = (text: string) => text.replaceAll(FX, '$FX').replaceAll(RUN, '$RUN')
    .replaceAll(MNIST, '$MNIST').replaceAll(temp, '$TMP');
  const header = ['| # | bad input | command | exit | message |', '|---|---|---|---|---|'];
  return [...header, ...rows.map(({ row, result }, i) => {
    const command = `\`infogan ${row.command.join(' ')}\``;
    const message = shorten(lines(result.stderr)[0] ?? '');
    const cells = [String(i + 1), row.what, command, String(result.code), message].map(cell);
    return `| ${cells.join(' | ')} |`;
  })].join('\n');
}
