// The Node-API binding to libjpeg-turbo: a batch of JPEG files in, uint8 pixels out.
//
// One call decodes many files on libuv's worker threads and writes each image, already
// cropped and resized, into a caller-provided buffer at a caller-given offset. Per image:
//   1. read the file (or take the given bytes) and its header;
//   2. pick the crop box: the centred box of the target's aspect (or the whole image to squash);
//   3. decode with DCT scaling at the smallest of 1/8, 1/4, 1/2 or full size whose box still
//      covers the target, so a 4x reduction costs about a quarter of a full decode;
//   4. resample the box to the target with a Lanczos-3 filter widened by the reduction factor
//      (antialiased, as Pillow and libvips do), in float, rounded once.
// A file that cannot be decoded (corrupt, truncated, not a JPEG) gets an error string at its
// index; the others are unaffected. libjpeg's fatal errors return through setjmp/longjmp, never
// abort. Sizes, defaults and validation live in TypeScript (src/data/jpeg.ts); this layer checks
// only what keeps memory safe.

#include <napi.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <jerror.h>
#include <jpeglib.h>

#include "folder_io.h"

namespace {

#define INFOGAN_STRINGIFY_(x) #x
#define INFOGAN_STRINGIFY(x) INFOGAN_STRINGIFY_(x)

// The same limit as sharp's limitInputPixels default: refuse absurd headers before allocating.
constexpr double kMaxPixels = 16383.0 * 16383.0;
constexpr double kLanczosLobes = 3.0;

enum class Fit { kCrop, kSquash, kExact };

// What every image of one call is brought to.
struct Target {
  int width = 0;
  int height = 0;
  bool gray = false;  // one channel (JPEG luma) even for colour files
  Fit fit = Fit::kCrop;
  bool probe_only = false;  // read headers, report sizes, write nothing
};

// Where one image comes from: a path, read on the worker thread, or bytes already in memory.
struct Source {
  std::string path;
  bool in_memory = false;
  const uint8_t* bytes = nullptr;
  size_t length = 0;
};

// What happened to one image.
struct Outcome {
  enum Kind { kDecoded, kFailed, kUnsupported } kind = kFailed;
  int channels = 0;
  bool gray = false;
  int width = 0;  // probe: the header's size
  int height = 0;
  std::string message;
};

// ---------------------------------------------------------------------------------------------
// libjpeg error handling: fatal errors and a premature end of data jump back to the decoder.

struct ErrorTrap {
  jpeg_error_mgr manager;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void OnFatal(j_common_ptr info) {
  auto* trap = reinterpret_cast<ErrorTrap*>(info->err);
  info->err->format_message(info, trap->message);
  longjmp(trap->jump, 1);
}

// Most warnings are ignored: real folders hold files with stray bytes between markers, which
// every viewer shows as they are. Those that mean the pixels themselves are lost are failures:
// "Premature end of JPEG file" (a truncated file, as with sharp's failOn truncated), and corrupt
// entropy-coded data (a bad Huffman code, a marker or restart marker where data should be), which
// the decoder would fill with grey blocks. Only the rows the resize reads are decoded, so damage
// below them costs nothing and is not seen.
void OnMessage(j_common_ptr info, int level) {
  if (level >= 0) return;
  switch (info->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
      OnFatal(info);
  }
}

// ---------------------------------------------------------------------------------------------
// Geometry: the crop box in source pixels and the DCT scale that still covers the target.

struct Box {
  double left, top, width, height;
};

// The centred box of the target's aspect (Pillow's ImageOps.fit, libvips' cover + centre crop).
Box CropBox(int width, int height, const Target& target) {
  if (target.fit != Fit::kCrop) return {0, 0, double(width), double(height)};
  // Compared in integers, so an image already of the target's aspect is never cropped.
  const int64_t wide = int64_t(width) * target.height;
  const int64_t tall = int64_t(height) * target.width;
  const double target_aspect = double(target.width) / target.height;
  if (wide > tall) {
    const double kept = height * target_aspect;
    return {(width - kept) / 2, 0, kept, double(height)};
  }
  if (wide < tall) {
    const double kept = width / target_aspect;
    return {0, (height - kept) / 2, double(width), kept};
  }
  return {0, 0, double(width), double(height)};
}

// The smallest scale, in eighths, at which the box still covers the target in both directions.
// Only 1/8, 1/4 and 1/2 are offered: libjpeg-turbo has SIMD code for those, and a 5/8 to 7/8
// decode is slower than a full one (0.06 ms against 0.04 ms for an 89x109 face).
int DctEighths(const Box& box, const Target& target) {
  if (target.fit == Fit::kExact) return 8;
  for (int eighths = 1; eighths < 8; eighths *= 2) {
    if (box.width * eighths / 8 >= target.width && box.height * eighths / 8 >= target.height)
      return eighths;
  }
  return 8;
}

// ---------------------------------------------------------------------------------------------
// Resampling: separable, weights precomputed per output sample.

double Sinc(double x) {
  if (x == 0) return 1;
  x *= M_PI;
  return std::sin(x) / x;
}

double Lanczos(double x) {
  return std::fabs(x) < kLanczosLobes ? Sinc(x) * Sinc(x / kLanczosLobes) : 0;
}

// For each output sample: the first input sample it reads, how many, and their weights.
struct Taps {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<float> weights;  // [outputs, stride]
  int stride = 0;
};

// Weights that resample the span [from, from + span) of a line of `size` samples to `outputs`
// samples. Reducing widens the kernel by the reduction factor, which is what antialiases.
Taps MakeTaps(double from, double span, int size, int outputs) {
  const double step = span / outputs;
  const double widen = std::max(step, 1.0);
  const double radius = kLanczosLobes * widen;
  Taps taps;
  taps.stride = int(std::ceil(2 * radius)) + 2;
  taps.first.resize(outputs);
  taps.count.resize(outputs);
  taps.weights.assign(size_t(outputs) * taps.stride, 0.f);
  for (int out = 0; out < outputs; out++) {
    // Sample i covers [i, i + 1); its centre is i + 0.5.
    const double centre = from + (out + 0.5) * step;
    const int lo = std::max(0, int(std::floor(centre - radius - 0.5)));
    const int hi = std::min(size - 1, int(std::ceil(centre + radius - 0.5)));
    float* weights = &taps.weights[size_t(out) * taps.stride];
    double total = 0;
    int n = 0;
    for (int i = lo; i <= hi && n < taps.stride; i++, n++) {
      weights[n] = float(Lanczos((i + 0.5 - centre) / widen));
      total += weights[n];
    }
    if (n == 0 || total == 0) {  // a box narrower than a sample: nearest neighbour
      taps.first[out] = std::clamp(int(centre), 0, size - 1);
      taps.count[out] = 1;
      weights[0] = 1;
      continue;
    }
    for (int k = 0; k < n; k++) weights[k] = float(weights[k] / total);
    taps.first[out] = lo;
    taps.count[out] = n;
  }
  return taps;
}

// Resample is compiled twice on x86-64, for AVX2 and for any CPU, and the loader picks the one
// the CPU runs: its loops then take eight floats at a time instead of four. No fused multiply-
// add is allowed in either, so both give the same bytes.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define INFOGAN_WIDE_VECTORS __attribute__((target_clones("avx2", "default")))
#else
#define INFOGAN_WIDE_VECTORS
#endif

// Rounds half up and clamps, in a form the compiler vectorises (integer clamp, no branches).
inline uint8_t ToByte(float value) {
  return uint8_t(std::clamp(int(value + 0.5f), 0, 255));
}

// Four floats in one register (GCC and Clang vector extension): a pixel's R, G, B and a spare,
// so that resampling across a row is one multiply-add per tap, not three.
typedef float Float4 __attribute__((vector_size(16)));

// Taps for one direction, remembered: a folder's images mostly share one size, and computing the
// weights (two sines per tap) costs more than applying them.
struct CachedTaps {
  double from = -1, span = -1;
  int size = -1, outputs = -1;
  Taps taps;

  const Taps& For(double new_from, double new_span, int new_size, int new_outputs) {
    if (from != new_from || span != new_span || size != new_size || outputs != new_outputs) {
      taps = MakeTaps(new_from, new_span, new_size, new_outputs);
      from = new_from;
      span = new_span;
      size = new_size;
      outputs = new_outputs;
    }
    return taps;
  }
};

// Everything one worker thread reuses from image to image, so that a folder of same-sized
// images allocates nothing after the first.
struct Scratch {
  std::vector<uint8_t> file, decoded;
  std::vector<float> region, column, line;
  std::vector<Float4> packed;
  CachedTaps across, down;
};

// Stores, for each of `outputs` samples x, the sum of row[first[x] - left + k] weighted by its
// taps. Four outputs are summed at a time, each with its own sum (one alone would wait on every
// addition), over the most taps among the four: `row` may be read a whole stride past each
// output's first (the caller pads it), and taps past an output's count have zero weight, which
// leaves its sum exactly as it was.
template <typename T, typename Store>
void SumAcross(const Taps& across, const T* row, int left, int outputs, Store store) {
  const size_t s = size_t(across.stride);
  int x = 0;
  for (; x + 4 <= outputs; x += 4) {
    const float* w = &across.weights[size_t(x) * s];
    const T* a = row + (across.first[x] - left);
    const T* b = row + (across.first[x + 1] - left);
    const T* c = row + (across.first[x + 2] - left);
    const T* d = row + (across.first[x + 3] - left);
    const int count = std::max(std::max(across.count[x], across.count[x + 1]),
                               std::max(across.count[x + 2], across.count[x + 3]));
    T ta = w[0] * a[0], tb = w[s] * b[0], tc = w[2 * s] * c[0], td = w[3 * s] * d[0];
    for (int k = 1; k < count; k++) {
      ta += w[k] * a[k];
      tb += w[s + k] * b[k];
      tc += w[2 * s + k] * c[k];
      td += w[3 * s + k] * d[k];
    }
    store(x, ta);
    store(x + 1, tb);
    store(x + 2, tc);
    store(x + 3, td);
  }
  for (; x < outputs; x++) {
    const float* w = &across.weights[size_t(x) * s];
    const T* at = row + (across.first[x] - left);
    T total = w[0] * at[0];
    for (int k = 1; k < across.count[x]; k++) total += w[k] * at[k];
    store(x, total);
  }
}

// Resamples the box of `source` ([height, width, channels]) into `out` ([target.height,
// target.width, channels]). The region the taps read is converted to float once; then for each
// output row: down over that region's columns (a loop the compiler vectorises), then across
// that one float row; rounded once.
INFOGAN_WIDE_VECTORS
void Resample(const uint8_t* source, int width, int height, int channels, const Box& box,
              const Target& target, Scratch& scratch, uint8_t* out) {
  const Taps& across = scratch.across.For(box.left, box.width, width, target.width);
  const Taps& down = scratch.down.For(box.top, box.height, height, target.height);
  const int left = across.first.front();
  const int pixels = across.first.back() + across.count.back() - left;
  const int top = down.first.front();
  const int rows = down.first.back() + down.count.back() - top;
  const size_t span = size_t(pixels) * channels;
  const size_t row_out = size_t(target.width) * channels;
  scratch.region.resize(span * rows);
  scratch.line.resize(row_out + 1);  // + 1: a Float4 store at the last pixel writes a spare float
  // Padded so that every output may read a whole stride of taps (the weights past its own taps
  // are zero): four outputs then share one loop.
  scratch.packed.assign(size_t(pixels) + across.stride, Float4{0.f, 0.f, 0.f, 0.f});
  scratch.column.resize(span + across.stride);
  float* const region = scratch.region.data();
  float* const sum = scratch.column.data();
  float* const line = scratch.line.data();
  Float4* const packed = scratch.packed.data();
  for (int y = 0; y < rows; y++) {
    const uint8_t* in = source + (size_t(top + y) * width + left) * channels;
    float* to = &region[span * y];
    for (size_t i = 0; i < span; i++) to[i] = in[i];
  }
  for (int y = 0; y < target.height; y++) {
    // Down: column[i] = sum over taps of weight * region row.
    const float* weights = &down.weights[size_t(y) * down.stride];
    const float* first = &region[span * (down.first[y] - top)];
    for (size_t i = 0; i < span; i++) sum[i] = weights[0] * first[i];
    for (int k = 1; k < down.count[y]; k++) {
      const float* row = first + k * span;
      const float weight = weights[k];
      for (size_t i = 0; i < span; i++) sum[i] += weight * row[i];
    }

    // Across: each output sample is a weighted sum of neighbouring pixels of that float row.
    if (channels == 3) {
      for (int x = 0; x < pixels; x++)
        packed[x] = Float4{sum[3 * x], sum[3 * x + 1], sum[3 * x + 2], 0.f};
      // In order of x: each store's spare float is overwritten by the next.
      SumAcross(across, packed, left, target.width, [line](int x, const Float4& total) {
        std::memcpy(&line[size_t(x) * 3], &total, sizeof total);
      });
    } else {
      std::fill(sum + span, sum + span + across.stride, 0.f);
      SumAcross(across, sum, left, target.width,
                [line](int x, float total) { line[x] = total; });
    }
    uint8_t* to = out + size_t(y) * row_out;
    for (size_t i = 0; i < row_out; i++) to[i] = ToByte(line[i]);
  }
}

bool ChannelsEqual(const uint8_t* rgb, size_t pixels) {
  for (size_t p = 0; p < pixels; p++, rgb += 3) {
    if (rgb[0] != rgb[1] || rgb[0] != rgb[2]) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// One image.

bool ReadFile(const std::string& path, std::vector<uint8_t>& bytes, std::string& message) {
  const int descriptor = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    message = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  struct stat info;
  bool ok = fstat(descriptor, &info) == 0;
  if (ok) {
    bytes.resize(size_t(info.st_size));
    size_t done = 0;
    while (ok && done < bytes.size()) {
      const ssize_t got = read(descriptor, bytes.data() + done, bytes.size() - done);
      if (got < 0 && errno == EINTR) continue;
      if (got == 0) errno = EIO;  // the file shrank while being read
      ok = got > 0;
      if (ok) done += size_t(got);
    }
  }
  if (!ok) message = std::string("cannot read: ") + std::strerror(errno);
  close(descriptor);
  return ok;
}

// Whether a decoded image needs resampling to the target, or is already it.
bool Resampled(int width, int height, const Box& box, const Target& target) {
  return !(width == target.width && height == target.height && box.left == 0 && box.top == 0);
}

// Whether the file's last bytes are JPEG's end-of-image marker, FF D9.
bool EndsWithEndMarker(const uint8_t* bytes, size_t length) {
  return length >= 2 && bytes[length - 2] == 0xFF && bytes[length - 1] == 0xD9;
}

// Decodes `bytes` at the scale and colour the target asks for into `pixels`; fills `outcome`
// with the decoded size and channels, or with libjpeg's message. Holds no C++ object across
// setjmp: a longjmp out of libjpeg skips no destructor.
//
// Only the rows the resampler will read are decoded in full: the rows above them are skipped
// (entropy-decoded only), and when the file ends in its end-of-image marker (so libjpeg has no
// truncation left to report) the rows below them are not decoded at all.
void DecodeScaled(const uint8_t* bytes, size_t length, const Target& target,
                  std::vector<uint8_t>& pixels, Box& box, Outcome& outcome, Scratch& scratch) {
  jpeg_decompress_struct decoder;
  ErrorTrap trap;
  decoder.err = jpeg_std_error(&trap.manager);
  trap.manager.error_exit = OnFatal;
  trap.manager.emit_message = OnMessage;
  if (setjmp(trap.jump)) {
    outcome.kind = Outcome::kFailed;
    outcome.message = trap.message;
    jpeg_destroy_decompress(&decoder);
    return;
  }
  jpeg_create_decompress(&decoder);
  jpeg_mem_src(&decoder, bytes, static_cast<unsigned long>(length));
  jpeg_read_header(&decoder, TRUE);
  const int width = int(decoder.image_width);
  const int height = int(decoder.image_height);
  outcome.width = width;
  outcome.height = height;
  if (double(width) * height > kMaxPixels) {
    outcome.kind = Outcome::kFailed;
    outcome.message = "Input image exceeds pixel limit";
  } else if (target.probe_only) {
    outcome.kind = Outcome::kDecoded;
  } else if (decoder.jpeg_color_space != JCS_GRAYSCALE &&
             decoder.jpeg_color_space != JCS_YCbCr && decoder.jpeg_color_space != JCS_RGB) {
    outcome.kind = Outcome::kUnsupported;  // CMYK, YCCK: left to the caller's other decoder
    const bool cmyk = decoder.jpeg_color_space == JCS_CMYK;
    outcome.message = decoder.jpeg_color_space == JCS_YCCK ? "YCCK" : cmyk ? "CMYK" : "unknown";
  } else if (target.fit == Fit::kExact &&
             (width != target.width || height != target.height)) {
    outcome.kind = Outcome::kFailed;
    outcome.message = "decoded to " + std::to_string(width) + "x" + std::to_string(height) +
                      ", expected " + std::to_string(target.width) + "x" +
                      std::to_string(target.height);
  } else {
    const bool gray = target.gray || decoder.jpeg_color_space == JCS_GRAYSCALE;
    decoder.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    const Box full = CropBox(width, height, target);
    const int eighths = DctEighths(full, target);
    decoder.scale_num = eighths;
    decoder.scale_denom = 8;
    jpeg_start_decompress(&decoder);
    const int channels = decoder.output_components;
    const int decoded_width = int(decoder.output_width);
    const int decoded_height = int(decoder.output_height);
    const size_t stride = size_t(decoded_width) * channels;
    pixels.resize(stride * decoded_height);
    // The box in decoded pixels: every 8x8 block became eighths x eighths.
    const double factor = eighths / 8.0;
    box = {full.left * factor, full.top * factor, full.width * factor, full.height * factor};
    JDIMENSION first_row = 0;
    JDIMENSION end_row = decoder.output_height;
    if (Resampled(decoded_width, decoded_height, box, target)) {
      const Taps& down = scratch.down.For(box.top, box.height, decoded_height, target.height);
      first_row = JDIMENSION(down.first.front());
      if (EndsWithEndMarker(bytes, length))
        end_row = JDIMENSION(down.first.back() + down.count.back());
    }
    if (first_row > 0) jpeg_skip_scanlines(&decoder, first_row);
    while (decoder.output_scanline < end_row) {
      JSAMPROW row = pixels.data() + stride * decoder.output_scanline;
      jpeg_read_scanlines(&decoder, &row, 1);
    }
    if (end_row < decoder.output_height) {
      jpeg_abort_decompress(&decoder);
    } else {
      jpeg_finish_decompress(&decoder);
    }
    outcome.kind = Outcome::kDecoded;
    outcome.channels = channels;
    outcome.width = int(decoder.output_width);
    outcome.height = int(decoder.output_height);
  }
  jpeg_destroy_decompress(&decoder);
}

Outcome DecodeOne(const Source& source, const Target& target, uint8_t* out) {
  Outcome outcome;
  // Kept per worker thread: most images of a folder need the same sizes again.
  thread_local Scratch scratch;
  std::vector<uint8_t>& file = scratch.file;
  std::vector<uint8_t>& pixels = scratch.decoded;
  const uint8_t* bytes = source.bytes;
  size_t length = source.length;
  if (!source.in_memory) {
    if (!ReadFile(source.path, file, outcome.message)) return outcome;
    bytes = file.data();
    length = file.size();
  }
  Box box{};
  DecodeScaled(bytes, length, target, pixels, box, outcome, scratch);
  if (outcome.kind != Outcome::kDecoded || target.probe_only) return outcome;

  const int channels = outcome.channels;
  if (!Resampled(outcome.width, outcome.height, box, target)) {
    std::memcpy(out, pixels.data(), pixels.size());
  } else {
    Resample(pixels.data(), outcome.width, outcome.height, channels, box, target, scratch, out);
  }
  const size_t area = size_t(target.width) * target.height;
  outcome.gray = channels == 1 || ChannelsEqual(out, area);
  outcome.width = target.width;
  outcome.height = target.height;
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// The batch: N workers on libuv's pool share one queue of indices; the last to finish resolves.

struct Batch {
  Target target;
  std::vector<Source> sources;
  std::vector<size_t> offsets;
  uint8_t* out = nullptr;
  std::vector<Outcome> outcomes;
  std::atomic<size_t> next{0};
  int workers_left = 0;  // touched on the main thread only
  Napi::Promise::Deferred deferred;
  Napi::Reference<Napi::Value> keep_sources;  // the JavaScript buffers stay alive until the end
  Napi::Reference<Napi::Value> keep_out;

  explicit Batch(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

Napi::Value OutcomesToJs(Napi::Env env, const Batch& batch) {
  auto results = Napi::Array::New(env, batch.outcomes.size());
  for (size_t i = 0; i < batch.outcomes.size(); i++) {
    const Outcome& outcome = batch.outcomes[i];
    auto result = Napi::Object::New(env);
    if (outcome.kind == Outcome::kFailed) {
      result.Set("error", outcome.message);
    } else if (outcome.kind == Outcome::kUnsupported) {
      result.Set("unsupported", outcome.message);
    } else if (batch.target.probe_only) {
      result.Set("width", outcome.width);
      result.Set("height", outcome.height);
    } else {
      result.Set("channels", outcome.channels);
      result.Set("gray", outcome.gray);
    }
    results[i] = result;
  }
  return results;
}

class BatchWorker : public Napi::AsyncWorker {
 public:
  BatchWorker(Napi::Env env, std::shared_ptr<Batch> batch)
      : Napi::AsyncWorker(env, "infogan:decodeJpegs"), batch_(std::move(batch)) {}

  void Execute() override {
    Batch& batch = *batch_;
    for (size_t i = batch.next++; i < batch.sources.size(); i = batch.next++) {
      uint8_t* out = batch.out ? batch.out + batch.offsets[i] : nullptr;
      try {
        batch.outcomes[i] = DecodeOne(batch.sources[i], batch.target, out);
      } catch (const std::exception& error) {  // std::bad_alloc for a huge image: that image fails
        batch.outcomes[i].kind = Outcome::kFailed;
        batch.outcomes[i].message = error.what();
      }
    }
  }

  void OnOK() override {
    if (--batch_->workers_left > 0) return;
    batch_->deferred.Resolve(OutcomesToJs(Env(), *batch_));
    batch_->keep_sources.Reset();
    batch_->keep_out.Reset();
  }

 private:
  std::shared_ptr<Batch> batch_;
};

// ---------------------------------------------------------------------------------------------
// Arguments.

int PositiveInt(const Napi::Object& options, const char* name) {
  const Napi::Value value = options.Get(name);
  if (!value.IsNumber() || value.As<Napi::Number>().Int64Value() < 1)
    throw Napi::TypeError::New(options.Env(), std::string(name) + " must be a positive integer");
  return value.As<Napi::Number>().Int32Value();
}

std::vector<Source> ReadSources(Napi::Env env, const Napi::Value& value) {
  if (!value.IsArray()) throw Napi::TypeError::New(env, "sources must be an array");
  auto array = value.As<Napi::Array>();
  std::vector<Source> sources(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    const Napi::Value item = array[i];
    if (item.IsString()) {
      sources[i].path = item.As<Napi::String>().Utf8Value();
    } else if (item.IsTypedArray() &&
               item.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
      auto bytes = item.As<Napi::Uint8Array>();
      sources[i].in_memory = true;
      sources[i].bytes = bytes.Data();
      sources[i].length = bytes.ByteLength();
    } else {
      throw Napi::TypeError::New(env, "each source must be a path or a Uint8Array");
    }
  }
  return sources;
}

// Offsets as a Float64Array (read in one go) or an array of numbers.
std::vector<double> ReadOffsets(Napi::Env env, const Napi::Value& value) {
  if (value.IsTypedArray() &&
      value.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    auto typed = value.As<Napi::Float64Array>();
    return std::vector<double>(typed.Data(), typed.Data() + typed.ElementLength());
  }
  if (!value.IsArray())
    throw Napi::TypeError::New(env, "offsets must be a Float64Array or an array of numbers");
  auto array = value.As<Napi::Array>();
  std::vector<double> offsets(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++)
    offsets[i] = array.Get(i).ToNumber().DoubleValue();
  return offsets;
}

Fit ReadFit(const Napi::Object& options) {
  const std::string fit = options.Get("fit").ToString().Utf8Value();
  if (fit == "crop") return Fit::kCrop;
  if (fit == "squash") return Fit::kSquash;
  if (fit == "exact") return Fit::kExact;
  throw Napi::TypeError::New(options.Env(), "fit must be 'crop', 'squash' or 'exact'");
}

Napi::Value Start(Napi::Env env, std::shared_ptr<Batch> batch, int threads) {
  batch->outcomes.resize(batch->sources.size());
  if (batch->sources.empty()) {
    batch->deferred.Resolve(Napi::Array::New(env, 0));
    return batch->deferred.Promise();
  }
  const int workers = std::max(1, std::min<int>(threads, int(batch->sources.size())));
  batch->workers_left = workers;
  for (int w = 0; w < workers; w++) (new BatchWorker(env, batch))->Queue();
  return batch->deferred.Promise();
}

// decodeJpegs(sources, { width, height, gray, fit, threads }, out, offsets) -> Promise<results>
// Writes image i at out[offsets[i]], width * height * (gray ? 1 : 3) bytes reserved for each;
// results[i] is { channels, gray } or { error } or { unsupported }.
Napi::Value DecodeJpegs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[1].IsObject() || !info[2].IsTypedArray())
    throw Napi::TypeError::New(env, "expected (sources, options, out: Uint8Array, offsets)");
  auto batch = std::make_shared<Batch>(env);
  auto options = info[1].As<Napi::Object>();
  batch->target.width = PositiveInt(options, "width");
  batch->target.height = PositiveInt(options, "height");
  batch->target.gray = options.Get("gray").ToBoolean();
  batch->target.fit = ReadFit(options);
  const int threads = PositiveInt(options, "threads");
  batch->sources = ReadSources(env, info[0]);

  auto out = info[2].As<Napi::TypedArray>();
  if (out.TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "out must be a Uint8Array");
  batch->out = out.As<Napi::Uint8Array>().Data();
  const size_t capacity = out.ByteLength();
  const size_t frame = size_t(batch->target.width) * batch->target.height *
                       (batch->target.gray ? 1 : 3);
  const std::vector<double> offsets = ReadOffsets(env, info[3]);
  if (offsets.size() != batch->sources.size())
    throw Napi::RangeError::New(env, "offsets must hold one offset per source");
  batch->offsets.resize(offsets.size());
  for (size_t i = 0; i < offsets.size(); i++) {
    const double offset = offsets[i];
    if (!(offset >= 0) || offset != std::floor(offset) || offset + frame > double(capacity))
      throw Napi::RangeError::New(env, "offset " + std::to_string(i) + " is outside out");
    batch->offsets[i] = size_t(offset);
  }
  batch->keep_sources = Napi::Persistent(info[0]);
  batch->keep_out = Napi::Persistent(info[2]);
  return Start(env, batch, threads);
}

// probeJpegs(sources, threads) -> Promise<results>: results[i] is { width, height } or { error }.
Napi::Value ProbeJpegs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "expected (sources, threads)");
  auto batch = std::make_shared<Batch>(env);
  batch->target.probe_only = true;
  batch->sources = ReadSources(env, info[0]);
  batch->keep_sources = Napi::Persistent(info[0]);
  return Start(env, batch, std::max(1, info[1].As<Napi::Number>().Int32Value()));
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(),
                           "libjpeg-turbo " INFOGAN_STRINGIFY(LIBJPEG_TURBO_VERSION));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeJpegs", Napi::Function::New(env, DecodeJpegs));
  exports.Set("probeJpegs", Napi::Function::New(env, ProbeJpegs));
  exports.Set("version", Napi::Function::New(env, Version));
  infogan::RegisterFolderIo(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(infogan_image, Init)
