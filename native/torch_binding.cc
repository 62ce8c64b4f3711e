// The Node-API binding to libtorch: tensors in, tensors out.
//
// Every function here is thin and generic. Shapes, defaults and argument validation live in
// TypeScript (src/torch); this layer converts arguments, calls one ATen op and converts any
// c10::Error into a JavaScript exception carrying libtorch's message.
//
// A tensor crosses into JavaScript as a type-tagged plain object wrapping (napi_wrap) a
// heap-allocated at::Tensor. `dispose` unwraps and frees it at once, leaving nothing for the
// garbage collector; only a tensor dropped without dispose waits for its finaliser.

#include <napi.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <signal.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::atomic<int64_t> live_tensors{0};

const napi_type_tag kTensorTag = {0x6a0f3c2d91b84e11ULL, 0xa1c5e7d2f0b34c99ULL};
const napi_type_tag kGeneratorTag = {0x2b7d1e9f04c6a853ULL, 0x93e1f4a7c2d05b68ULL};

struct TensorBox {
  at::Tensor tensor;
};

// ---------------------------------------------------------------------------------------------
// Conversions between JavaScript values and ATen types.

void FinalizeBox(napi_env, void* data, void*) {
  live_tensors--;
  delete static_cast<TensorBox*>(data);
}

// Why a wrapped object and not a Napi::External with a finaliser: Node runs Node-API finalisers
// from the event loop, so in a synchronous training loop every tensor ever made kept ~200 bytes
// of finaliser bookkeeping until the loop yielded (the RSS grew ~2 MB per 1,000 small steps).
// napi_remove_wrap in dispose() drops that bookkeeping immediately.
Napi::Value Wrap(Napi::Env env, at::Tensor tensor) {
  auto* box = new TensorBox{std::move(tensor)};
  live_tensors++;
  auto handle = Napi::Object::New(env);
  handle.TypeTag(&kTensorTag);
  if (napi_wrap(env, handle, box, FinalizeBox, nullptr, nullptr) != napi_ok) {
    FinalizeBox(env, box, nullptr);
    throw Napi::Error::New(env, "cannot wrap a tensor");
  }
  return handle;
}

// The box behind a tensor handle, or nullptr once the tensor was disposed.
TensorBox* Box(const Napi::Value& value, const char* what) {
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kTensorTag)) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a tensor");
  }
  void* data = nullptr;
  if (napi_unwrap(value.Env(), value, &data) != napi_ok) return nullptr;
  return static_cast<TensorBox*>(data);
}

const at::Tensor& T(const Napi::CallbackInfo& info, size_t index) {
  TensorBox* box = Box(info[index], "argument");
  if (box == nullptr || !box->tensor.defined()) {
    throw Napi::Error::New(info.Env(), "tensor used after dispose()");
  }
  return box->tensor;
}

c10::optional<at::Tensor> OptionalT(const Napi::CallbackInfo& info, size_t index) {
  if (index >= info.Length() || info[index].IsNull() || info[index].IsUndefined()) {
    return c10::nullopt;
  }
  return T(info, index);
}

std::vector<int64_t> Ints(const Napi::Value& value) {
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    out[i] = array.Get(i).As<Napi::Number>().Int64Value();
  }
  return out;
}

std::vector<at::Tensor> Tensors(const Napi::Value& value) {
  auto array = value.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    TensorBox* box = Box(array.Get(i), "tensor list");
    if (box == nullptr || !box->tensor.defined()) throw Napi::Error::New(value.Env(), "tensor used after dispose()");
    out.push_back(box->tensor);
  }
  return out;
}

double Num(const Napi::CallbackInfo& info, size_t index) {
  return info[index].As<Napi::Number>().DoubleValue();
}

int64_t Int(const Napi::CallbackInfo& info, size_t index) {
  return info[index].As<Napi::Number>().Int64Value();
}

bool Bool(const Napi::CallbackInfo& info, size_t index) {
  return info[index].As<Napi::Boolean>().Value();
}

at::ScalarType DtypeFromName(Napi::Env env, const std::string& name) {
  if (name == "float32") return at::kFloat;
  if (name == "bfloat16") return at::kBFloat16;
  if (name == "float64") return at::kDouble;
  if (name == "int64") return at::kLong;
  if (name == "int32") return at::kInt;
  if (name == "uint8") return at::kByte;
  if (name == "bool") return at::kBool;
  throw Napi::TypeError::New(env, "unknown dtype " + name);
}

const char* DtypeName(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return "float32";
    case at::kBFloat16: return "bfloat16";
    case at::kDouble: return "float64";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: return "other";
  }
}

at::ScalarType Dtype(const Napi::CallbackInfo& info, size_t index) {
  return DtypeFromName(info.Env(), info[index].As<Napi::String>().Utf8Value());
}

c10::optional<at::Generator> OptionalGenerator(const Napi::CallbackInfo& info, size_t index) {
  if (index >= info.Length() || info[index].IsNull() || info[index].IsUndefined()) {
    return c10::nullopt;
  }
  auto object = info[index].As<Napi::Object>();
  if (!info[index].IsExternal() || !object.CheckTypeTag(&kGeneratorTag)) {
    throw Napi::TypeError::New(info.Env(), "expected a generator");
  }
  return *info[index].As<Napi::External<at::Generator>>().Data();
}

// ---------------------------------------------------------------------------------------------
// A second stop signal in the middle of a step. JavaScript sees a signal only between steps (a
// step is many calls into this binding, seconds of them on a large network), so "again to quit
// at once" would wait for the step to end. While watched, the second SIGINT or SIGTERM makes
// every later computing call throw an error with code INFOGAN_INTERRUPTED, so the step unwinds
// at once. Every signal is still passed on to the handler it displaced (libuv's, which tells
// JavaScript), so a first one asks the trainer to stop after the step, as before.

std::atomic<int> stop_signals{0};
std::atomic<bool> interrupted{false};
std::atomic<int> interrupting_signal{0};  // the second one
struct sigaction displaced_int, displaced_term;
bool watching = false;
// What the first signal prints at once, in the handler: JavaScript would print it only after the
// step, leaving seconds of silence in which a user presses Ctrl-C again.
char notice_int[512], notice_term[512], again_int[512], again_term[512];

void OnStopSignal(int signal, siginfo_t* details, void* context) {
  const bool again = stop_signals.fetch_add(1) >= 1;
  if (again) {
    interrupting_signal.store(signal);
    interrupted.store(true);
  }
  const char* notice = again ? (signal == SIGINT ? again_int : again_term)
                             : (signal == SIGINT ? notice_int : notice_term);
  ssize_t ignored = write(STDERR_FILENO, notice, std::strlen(notice));
  (void)ignored;
  const struct sigaction& displaced = signal == SIGINT ? displaced_int : displaced_term;
  if (displaced.sa_flags & SA_SIGINFO) {
    if (displaced.sa_sigaction != nullptr) displaced.sa_sigaction(signal, details, context);
  } else if (displaced.sa_handler == SIG_DFL) {
    ::signal(signal, SIG_DFL);  // nothing was listening: die of it, as without this handler
    raise(signal);
  } else if (displaced.sa_handler != SIG_IGN) {
    displaced.sa_handler(signal);
  }
}

// watchStopSignals(on, intNotice = "", termNotice = "", intAgain = "", termAgain = ""): starts
// (with a fresh count, and the notices a first and a second SIGINT or SIGTERM print) or stops
// watching SIGINT and SIGTERM.
Napi::Value WatchStopSignals(const Napi::CallbackInfo& info) {
  const bool on = info.Length() > 0 && info[0].ToBoolean().Value();
  if (on && !watching) {
    const auto notice = [&info](size_t index, char* out) {
      const std::string text = index < info.Length() && info[index].IsString()
          ? info[index].As<Napi::String>().Utf8Value() : "";
      std::snprintf(out, 512, "%s", text.c_str());
    };
    notice(1, notice_int);
    notice(2, notice_term);
    notice(3, again_int);
    notice(4, again_term);
    stop_signals.store(0);
    interrupted.store(false);
    struct sigaction handler {};
    handler.sa_sigaction = OnStopSignal;
    handler.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&handler.sa_mask);
    sigaction(SIGINT, &handler, &displaced_int);
    sigaction(SIGTERM, &handler, &displaced_term);
    watching = true;
  } else if (!on && watching) {
    sigaction(SIGINT, &displaced_int, nullptr);
    sigaction(SIGTERM, &displaced_term, nullptr);
    watching = false;
    interrupted.store(false);
  }
  return info.Env().Undefined();
}

// Runs `body`, turning libtorch errors into JavaScript exceptions with libtorch's own message
// (its first lines, without the C++ backtrace). Refuses to start once interrupted.
template <typename F>
Napi::Value Guard(const Napi::CallbackInfo& info, F body) {
  if (interrupted.load(std::memory_order_relaxed)) {
    const char* signal = interrupting_signal.load() == SIGTERM ? "SIGTERM" : "SIGINT";
    Napi::Error error =
        Napi::Error::New(info.Env(), std::string("interrupted by a second ") + signal);
    error.Set("code", Napi::String::New(info.Env(), "INFOGAN_INTERRUPTED"));
    error.Set("signal", Napi::String::New(info.Env(), signal));
    throw error;
  }
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& error) {
    throw Napi::Error::New(info.Env(), error.what_without_backtrace());
  } catch (const std::exception& error) {
    throw Napi::Error::New(info.Env(), error.what());
  }
}

#define TENSOR_FN(name, expr)                                                \
  Napi::Value name(const Napi::CallbackInfo& info) {                         \
    return Guard(info, [&]() -> Napi::Value { return Wrap(info.Env(), expr); }); \
  }

// ---------------------------------------------------------------------------------------------
// Creation, inspection and lifetime.

Napi::Value FromTypedArray(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    auto array = info[0].As<Napi::TypedArray>();
    auto shape = Ints(info[1]);
    at::ScalarType source;
    switch (array.TypedArrayType()) {
      case napi_float32_array: source = at::kFloat; break;
      case napi_float64_array: source = at::kDouble; break;
      case napi_int32_array: source = at::kInt; break;
      case napi_bigint64_array: source = at::kLong; break;
      case napi_uint8_array: source = at::kByte; break;
      case napi_uint16_array: source = at::kBFloat16; break;  // raw bfloat16 bits
      default: throw Napi::TypeError::New(info.Env(), "unsupported typed array");
    }
    void* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    auto tensor = at::from_blob(data, shape, at::TensorOptions().dtype(source)).clone();
    if (info.Length() > 2 && info[2].IsString()) tensor = tensor.to(Dtype(info, 2));
    return Wrap(info.Env(), tensor);
  });
}

// Copies the tensor's elements into a new ArrayBuffer, contiguous, in its own dtype.
Napi::Value ToBytes(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    auto tensor = T(info, 0).detach().contiguous();
    size_t bytes = tensor.numel() * tensor.element_size();
    auto buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
    if (bytes > 0) std::memcpy(buffer.Data(), tensor.data_ptr(), bytes);
    return buffer;
  });
}

Napi::Value Shape(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    auto sizes = T(info, 0).sizes();
    auto out = Napi::Array::New(info.Env(), sizes.size());
    for (size_t i = 0; i < sizes.size(); i++) out.Set(i, Napi::Number::New(info.Env(), sizes[i]));
    return out;
  });
}

Napi::Value DtypeOf(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    return Napi::String::New(info.Env(), DtypeName(T(info, 0).scalar_type()));
  });
}

Napi::Value Item(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), T(info, 0).item<double>());
  });
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  if (Box(info[0], "dispose") != nullptr) {
    void* data = nullptr;
    napi_remove_wrap(info.Env(), info[0], &data);
    FinalizeBox(info.Env(), data, nullptr);
  }
  return info.Env().Undefined();
}

Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Box(info[0], "isDisposed") == nullptr);
}

Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(live_tensors.load()));
}

TENSOR_FN(Full, at::full(Ints(info[0]), Num(info, 1), at::TensorOptions().dtype(Dtype(info, 2))))
TENSOR_FN(Randn, at::randn(Ints(info[0]), OptionalGenerator(info, 1)))
TENSOR_FN(Rand, at::rand(Ints(info[0]), OptionalGenerator(info, 1)))
TENSOR_FN(Randint, at::randint(Int(info, 0), Ints(info[1]), OptionalGenerator(info, 2),
                               at::TensorOptions().dtype(at::kLong)))
TENSOR_FN(Arange, at::arange(Num(info, 0), Num(info, 1), Num(info, 2)))
TENSOR_FN(Linspace, at::linspace(Num(info, 0), Num(info, 1), Int(info, 2)))

Napi::Value MakeGenerator(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    auto* generator = new at::Generator(at::make_generator<at::CPUGeneratorImpl>(
        static_cast<uint64_t>(Int(info, 0))));
    auto external = Napi::External<at::Generator>::New(
        info.Env(), generator, [](Napi::Env, at::Generator* g) { delete g; });
    external.TypeTag(&kGeneratorTag);
    return external;
  });
}

// The generator's full state (Mersenne Twister and normal cache) as a uint8 tensor.
TENSOR_FN(GeneratorState, OptionalGenerator(info, 0)->get_state())

Napi::Value SetGeneratorState(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    auto generator = *OptionalGenerator(info, 0);
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(T(info, 1));
    return info.Env().Undefined();
  });
}

// ---------------------------------------------------------------------------------------------
// Elementwise and shape ops.

TENSOR_FN(Add, at::add(T(info, 0), T(info, 1)))
TENSOR_FN(Sub, at::sub(T(info, 0), T(info, 1)))
TENSOR_FN(Mul, at::mul(T(info, 0), T(info, 1)))
TENSOR_FN(Div, at::div(T(info, 0), T(info, 1)))
TENSOR_FN(AddScalar, at::add(T(info, 0), Num(info, 1)))
TENSOR_FN(MulScalar, at::mul(T(info, 0), Num(info, 1)))
TENSOR_FN(PowScalar, at::pow(T(info, 0), Num(info, 1)))
TENSOR_FN(Neg, at::neg(T(info, 0)))
TENSOR_FN(Exp, at::exp(T(info, 0)))
TENSOR_FN(Log, at::log(T(info, 0)))
TENSOR_FN(Sqrt, at::sqrt(T(info, 0)))
TENSOR_FN(Abs, at::abs(T(info, 0)))
TENSOR_FN(Square, at::square(T(info, 0)))
TENSOR_FN(Clamp, at::clamp(T(info, 0), Num(info, 1), Num(info, 2)))
TENSOR_FN(Relu, at::relu(T(info, 0)))
TENSOR_FN(LeakyRelu, at::leaky_relu(T(info, 0), Num(info, 1)))
TENSOR_FN(Sigmoid, at::sigmoid(T(info, 0)))
TENSOR_FN(Tanh, at::tanh(T(info, 0)))
TENSOR_FN(Softmax, at::softmax(T(info, 0), Int(info, 1)))
TENSOR_FN(LogSoftmax, at::log_softmax(T(info, 0), Int(info, 1)))
TENSOR_FN(Eq, at::eq(T(info, 0), T(info, 1)))
TENSOR_FN(IsFinite, at::isfinite(T(info, 0)).all())

TENSOR_FN(Reshape, at::reshape(T(info, 0), Ints(info[1])))
TENSOR_FN(Permute, T(info, 0).permute(Ints(info[1])).contiguous())
TENSOR_FN(Narrow, T(info, 0).narrow(Int(info, 1), Int(info, 2), Int(info, 3)))
TENSOR_FN(IndexSelect, at::index_select(T(info, 0), Int(info, 1), T(info, 2)))
TENSOR_FN(Cat, at::cat(Tensors(info[0]), Int(info, 1)))
TENSOR_FN(Stack, at::stack(Tensors(info[0]), Int(info, 1)))
TENSOR_FN(Repeat, T(info, 0).repeat(Ints(info[1])))
TENSOR_FN(OneHot, at::one_hot(T(info, 0), Int(info, 1)).to(at::kFloat))
TENSOR_FN(Detach, T(info, 0).detach())
TENSOR_FN(Clone, T(info, 0).clone())
TENSOR_FN(To, T(info, 0).to(Dtype(info, 1)))
TENSOR_FN(ConstantPad, at::constant_pad_nd(T(info, 0), Ints(info[1]), Num(info, 2)))

// ---------------------------------------------------------------------------------------------
// Reductions.

Napi::Value Reduce(const Napi::CallbackInfo& info, bool mean) {
  return Guard(info, [&]() -> Napi::Value {
    const auto& x = T(info, 0);
    if (info[1].IsNull() || info[1].IsUndefined()) return Wrap(info.Env(), mean ? x.mean() : x.sum());
    auto dims = Ints(info[1]);
    bool keep = Bool(info, 2);
    return Wrap(info.Env(), mean ? x.mean(dims, keep) : x.sum(dims, keep));
  });
}

Napi::Value Sum(const Napi::CallbackInfo& info) { return Reduce(info, false); }
Napi::Value Mean(const Napi::CallbackInfo& info) { return Reduce(info, true); }
TENSOR_FN(Max, std::get<0>(at::max(T(info, 0), Int(info, 1), Bool(info, 2))))
TENSOR_FN(Argmax, at::argmax(T(info, 0), Int(info, 1), Bool(info, 2)))
TENSOR_FN(MaxAll, T(info, 0).max())
TENSOR_FN(MinAll, T(info, 0).min())

// ---------------------------------------------------------------------------------------------
// Neural network ops. Image tensors are [batch, channels, height, width].

TENSOR_FN(Matmul, at::matmul(T(info, 0), T(info, 1)))
TENSOR_FN(Linear, at::linear(T(info, 0), T(info, 1), OptionalT(info, 2)))
TENSOR_FN(Conv2d, at::conv2d(T(info, 0), T(info, 1), OptionalT(info, 2), Ints(info[3]),
                             Ints(info[4])))
TENSOR_FN(ConvTranspose2d, at::conv_transpose2d(T(info, 0), T(info, 1), OptionalT(info, 2),
                                                Ints(info[3]), Ints(info[4]), Ints(info[5])))

// batchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps)
TENSOR_FN(BatchNorm, at::batch_norm(T(info, 0), OptionalT(info, 1), OptionalT(info, 2),
                                    OptionalT(info, 3), OptionalT(info, 4), Bool(info, 5),
                                    Num(info, 6), Num(info, 7), /*cudnn_enabled=*/false))

int64_t Reduction(const Napi::CallbackInfo& info, size_t index) {
  std::string name = info[index].As<Napi::String>().Utf8Value();
  if (name == "none") return at::Reduction::None;
  if (name == "sum") return at::Reduction::Sum;
  return at::Reduction::Mean;
}

TENSOR_FN(BceWithLogits, at::binary_cross_entropy_with_logits(T(info, 0), T(info, 1), {}, {},
                                                               Reduction(info, 2)))
TENSOR_FN(CrossEntropy, at::cross_entropy_loss(T(info, 0), T(info, 1), {}, Reduction(info, 2)))

// ---------------------------------------------------------------------------------------------
// Autograd.

Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    T(info, 0).set_requires_grad(Bool(info, 1));
    return info.Env().Undefined();
  });
}

Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), T(info, 0).requires_grad());
  });
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    auto gradient = OptionalT(info, 1);
    T(info, 0).backward(gradient.has_value() ? *gradient : at::Tensor());
    return info.Env().Undefined();
  });
}

Napi::Value Grad(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const auto& gradient = T(info, 0).grad();
    if (!gradient.defined()) return info.Env().Null();
    return Wrap(info.Env(), gradient);
  });
}

Napi::Value ClearGrad(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    T(info, 0).mutable_grad() = at::Tensor();
    return info.Env().Undefined();
  });
}

Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool previous = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(Bool(info, 0));
  return Napi::Boolean::New(info.Env(), previous);
}

// ---------------------------------------------------------------------------------------------
// In-place updates (parameters, running statistics, optimiser state).

Napi::Value CopyInto(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    c10::NoGradGuard no_grad;
    T(info, 0).copy_(T(info, 1));
    return info.Env().Undefined();
  });
}

// Adam's per-step scalars, cast to the parameter's type as ATen casts a Python float.
template <typename T>
struct AdamScalars {
  T beta1, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps, neg_step_size;
};

// Element j of one parameter, with the arithmetic of PyTorch's single-tensor Adam in its order:
// exp_avg.mul_(b1).add_(g, 1 - b1); exp_avg_sq.mul_(b2).addcmul_(g, g, 1 - b2);
// denom = sqrt(exp_avg_sq) / c2 + eps; param.addcdiv_(exp_avg, denom, -step_size).
template <typename T>
inline void AdamOne(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t j,
                    const AdamScalars<T>& s) {
  T g = grad[j];
  T m = exp_avg[j] * s.beta1 + s.one_minus_beta1 * g;
  T v = exp_avg_sq[j] * s.beta2 + s.one_minus_beta2 * g * g;
  exp_avg[j] = m;
  exp_avg_sq[j] = v;
  T denom = std::sqrt(v) / s.bias_correction2_sqrt + s.eps;
  param[j] = param[j] + s.neg_step_size * m / denom;
}

template <typename T>
void AdamRange(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, int64_t begin, int64_t end,
               const AdamScalars<T>& s) {
  for (int64_t j = begin; j < end; j++) AdamOne(param, grad, exp_avg, exp_avg_sq, j, s);
}

#if defined(__SSE2__)
// Four floats at a time (SSE2 is in every x86-64): the compiler will not vectorise std::sqrt
// without -fno-math-errno, and the scalar loop is no faster than ATen's eight passes.
template <>
void AdamRange<float>(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                      int64_t begin, int64_t end, const AdamScalars<float>& s) {
  const __m128 beta1 = _mm_set1_ps(s.beta1), one_minus_beta1 = _mm_set1_ps(s.one_minus_beta1);
  const __m128 beta2 = _mm_set1_ps(s.beta2), one_minus_beta2 = _mm_set1_ps(s.one_minus_beta2);
  const __m128 c2 = _mm_set1_ps(s.bias_correction2_sqrt), eps = _mm_set1_ps(s.eps);
  const __m128 neg_step_size = _mm_set1_ps(s.neg_step_size);
  int64_t j = begin;
  for (; j + 4 <= end; j += 4) {
    __m128 g = _mm_loadu_ps(grad + j);
    __m128 m = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(exp_avg + j), beta1),
                          _mm_mul_ps(one_minus_beta1, g));
    __m128 v = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(exp_avg_sq + j), beta2),
                          _mm_mul_ps(_mm_mul_ps(one_minus_beta2, g), g));
    _mm_storeu_ps(exp_avg + j, m);
    _mm_storeu_ps(exp_avg_sq + j, v);
    __m128 denom = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(v), c2), eps);
    __m128 step = _mm_div_ps(_mm_mul_ps(neg_step_size, m), denom);
    _mm_storeu_ps(param + j, _mm_add_ps(_mm_loadu_ps(param + j), step));
  }
  for (; j < end; j++) AdamOne(param, grad, exp_avg, exp_avg_sq, j, s);
}
#endif

// One parameter's update. PyTorch's own sequence of in-place ops makes eight passes over memory
// and two temporaries the size of the parameter; for contiguous float tensors of one dtype this
// makes one pass (MNIST's training step: ~45 ms of Adam down to ~10 ms on one core).
template <typename T>
void FusedAdam(at::Tensor& param, const at::Tensor& grad, at::Tensor& exp_avg,
               at::Tensor& exp_avg_sq, const AdamScalars<T>& s) {
  T* p = param.data_ptr<T>();
  const T* g = grad.data_ptr<T>();
  T* m = exp_avg.data_ptr<T>();
  T* v = exp_avg_sq.data_ptr<T>();
  at::parallel_for(0, param.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
    AdamRange<T>(p, g, m, v, begin, end, s);
  });
}

bool CanFuse(const std::vector<at::Tensor>& ts) {
  for (const auto& t : ts) {
    if (!t.is_contiguous() || t.device() != ts[0].device() || !t.device().is_cpu() ||
        t.scalar_type() != ts[0].scalar_type() || t.numel() != ts[0].numel()) {
      return false;
    }
  }
  auto type = ts[0].scalar_type();
  return type == at::kFloat || type == at::kDouble;
}

template <typename T>
AdamScalars<T> Scalars(double beta1, double beta2, double bias_correction2_sqrt, double eps,
                       double step_size) {
  return {static_cast<T>(beta1), static_cast<T>(1 - beta1), static_cast<T>(beta2),
          static_cast<T>(1 - beta2), static_cast<T>(bias_correction2_sqrt),
          static_cast<T>(eps), static_cast<T>(-step_size)};
}

// One Adam step (Kingma & Ba, with PyTorch's bias correction) over every parameter that has a
// gradient: adamStep(params, exp_avgs, exp_avg_sqs, step, lr, beta1, beta2, eps).
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    c10::NoGradGuard no_grad;
    auto params = Tensors(info[0]);
    auto exp_avgs = Tensors(info[1]);
    auto exp_avg_sqs = Tensors(info[2]);
    double step = Num(info, 3), lr = Num(info, 4), beta1 = Num(info, 5), beta2 = Num(info, 6);
    double eps = Num(info, 7);
    double bias_correction1 = 1 - std::pow(beta1, step);
    double bias_correction2_sqrt = std::sqrt(1 - std::pow(beta2, step));
    double step_size = lr / bias_correction1;
    for (size_t i = 0; i < params.size(); i++) {
      const auto& grad = params[i].grad();
      if (!grad.defined()) continue;
      if (CanFuse({params[i], grad, exp_avgs[i], exp_avg_sqs[i]})) {
        if (params[i].scalar_type() == at::kFloat) {
          FusedAdam<float>(params[i], grad, exp_avgs[i], exp_avg_sqs[i],
                           Scalars<float>(beta1, beta2, bias_correction2_sqrt, eps, step_size));
        } else {
          FusedAdam<double>(params[i], grad, exp_avgs[i], exp_avg_sqs[i],
                            Scalars<double>(beta1, beta2, bias_correction2_sqrt, eps, step_size));
        }
        continue;
      }
      exp_avgs[i].mul_(beta1).add_(grad, 1 - beta1);
      exp_avg_sqs[i].mul_(beta2).addcmul_(grad, grad, 1 - beta2);
      auto denom = (exp_avg_sqs[i].sqrt() / bias_correction2_sqrt).add_(eps);
      params[i].addcdiv_(exp_avgs[i], denom, -step_size);
    }
    return info.Env().Undefined();
  });
}

// ---------------------------------------------------------------------------------------------
// Threads, BLAS and precision.

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    int threads = static_cast<int>(Int(info, 0));
    // OpenBLAS must not add its own threads on top of libtorch's. Its OpenMP build implements
    // openblas_set_num_threads with omp_set_num_threads, which is also libtorch's thread count,
    // so it goes first and libtorch's setting last; called the other way round every op ran on
    // one thread whatever was asked.
    using SetBlasThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
      set(1);
    }
    at::set_num_threads(threads);
    return info.Env().Undefined();
  });
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// Which BLAS library answers sgemm_ in this process: its file path, or "" if none is found.
Napi::Value BlasLibrary(const Napi::CallbackInfo& info) {
  Dl_info where;
  void* symbol = dlsym(RTLD_DEFAULT, "sgemm_");
  if (symbol && dladdr(symbol, &where) && where.dli_fname) {
    return Napi::String::New(info.Env(), where.dli_fname);
  }
  return Napi::String::New(info.Env(), "");
}

Napi::Value BlasConfig(const Napi::CallbackInfo& info) {
  using GetConfig = char* (*)();
  if (auto get = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    return Napi::String::New(info.Env(), get());
  }
  return Napi::String::New(info.Env(), "");
}

// Mixed precision: while enabled, matmul and convolution run in `dtype` (bfloat16) on the CPU.
Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    bool enabled = Bool(info, 0);
    if (enabled) at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    // Autocast caches the bfloat16 copy of each weight until the region ends. PyTorch ends the
    // region every step (`with autocast():`); here it may stay on for a whole run, across Adam's
    // in-place updates and noGrad, so a cached copy would go stale (or lose its autograd link):
    // each use casts afresh instead.
    at::autocast::set_autocast_cache_enabled(!enabled);
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::clear_cache();
    return info.Env().Undefined();
  });
}

Napi::Value TorchVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), TORCH_VERSION);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto set = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  set("fromTypedArray", FromTypedArray);
  set("toBytes", ToBytes);
  set("shape", Shape);
  set("dtype", DtypeOf);
  set("item", Item);
  set("dispose", Dispose);
  set("isDisposed", IsDisposed);
  set("liveTensors", LiveTensors);
  set("full", Full);
  set("randn", Randn);
  set("rand", Rand);
  set("randint", Randint);
  set("arange", Arange);
  set("linspace", Linspace);
  set("makeGenerator", MakeGenerator);
  set("generatorState", GeneratorState);
  set("setGeneratorState", SetGeneratorState);
  set("add", Add);
  set("sub", Sub);
  set("mul", Mul);
  set("div", Div);
  set("addScalar", AddScalar);
  set("mulScalar", MulScalar);
  set("powScalar", PowScalar);
  set("neg", Neg);
  set("exp", Exp);
  set("log", Log);
  set("sqrt", Sqrt);
  set("abs", Abs);
  set("square", Square);
  set("clamp", Clamp);
  set("relu", Relu);
  set("leakyRelu", LeakyRelu);
  set("sigmoid", Sigmoid);
  set("tanh", Tanh);
  set("softmax", Softmax);
  set("logSoftmax", LogSoftmax);
  set("eq", Eq);
  set("isFinite", IsFinite);
  set("reshape", Reshape);
  set("permute", Permute);
  set("narrow", Narrow);
  set("indexSelect", IndexSelect);
  set("cat", Cat);
  set("stack", Stack);
  set("repeat", Repeat);
  set("oneHot", OneHot);
  set("detach", Detach);
  set("clone", Clone);
  set("to", To);
  set("constantPad", ConstantPad);
  set("sum", Sum);
  set("mean", Mean);
  set("max", Max);
  set("argmax", Argmax);
  set("maxAll", MaxAll);
  set("minAll", MinAll);
  set("matmul", Matmul);
  set("linear", Linear);
  set("conv2d", Conv2d);
  set("convTranspose2d", ConvTranspose2d);
  set("batchNorm", BatchNorm);
  set("bceWithLogits", BceWithLogits);
  set("crossEntropy", CrossEntropy);
  set("setRequiresGrad", SetRequiresGrad);
  set("requiresGrad", RequiresGrad);
  set("backward", Backward);
  set("grad", Grad);
  set("clearGrad", ClearGrad);
  set("setGradEnabled", SetGradEnabled);
  set("copyInto", CopyInto);
  set("adamStep", AdamStep);
  set("setThreads", SetThreads);
  set("getThreads", GetThreads);
  set("blasLibrary", BlasLibrary);
  set("blasConfig", BlasConfig);
  set("setAutocast", SetAutocast);
  set("torchVersion", TorchVersion);
  set("watchStopSignals", WatchStopSignals);
  return exports;
}

}  // namespace

NODE_API_MODULE(infogan_torch, Init)
