// File-system work of the data layer that JavaScript would do one file at a time: list a folder
// tree with every file's size and mtime, read the first bytes of many files, map a cache file
// into memory, and checksum bytes with CRC-32C. The listing and the reads run on libuv's worker
// threads (a large folder's stats on helper threads as well); the map and the checksum are quick
// enough to run on the caller's.
//
// As in image_decode.cc, this layer checks only what keeps memory safe; the data layer
// (src/data/walk.ts, src/data/cache.ts, src/data/folder.ts) validates and decides.

#include "folder_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#if defined(__x86_64__)
#include <nmmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#endif

namespace infogan {
namespace {

std::string ErrnoText(int code) { return std::strerror(code); }

// ---------------------------------------------------------------------------------------------
// Listing: every regular file under a folder, as walk.ts documents.

struct ListedFile {
  std::string relative;
  double size = 0;
  double mtime_ms = 0;
};

// A file's mtime in milliseconds, computed as Node's fs.Stats.mtimeMs is, so both agree exactly.
double MtimeMs(const struct stat& info) {
#if defined(__APPLE__)
  const struct timespec& mtime = info.st_mtimespec;
#else
  const struct timespec& mtime = info.st_mtim;
#endif
  return double(mtime.tv_sec) * 1e3 + double(mtime.tv_nsec) / 1e6;
}

// Where a UTF-8 byte sorts in UTF-16 code-unit order (JavaScript's string order): characters
// above U+FFFF (lead bytes F0-F4) are surrogate pairs there, which sort before U+E000-U+FFFF
// (lead bytes EE, EF). Every other byte keeps its place.
int Utf16Rank(uint8_t byte) {
  if (byte >= 0xF0) return 0xEE + (byte - 0xF0);
  if (byte >= 0xEE) return 0xF5 + (byte - 0xEE);
  return byte;
}

// Equal prefixes leave both strings at the same place in a character, so the first differing
// bytes are both lead bytes or both continuation bytes, and ranking them decides. The common
// prefix is skipped eight bytes at a time: sorting a large folder's paths, which share long
// prefixes, is most of the work.
bool Utf16Less(const std::string& a, const std::string& b) {
  const size_t common = std::min(a.size(), b.size());
  const char* x = a.data();
  const char* y = b.data();
  size_t i = 0;
  for (; i + 8 <= common; i += 8) {
    uint64_t u, v;
    std::memcpy(&u, x + i, 8);
    std::memcpy(&v, y + i, 8);
    if (u != v) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      i += size_t(__builtin_ctzll(u ^ v)) / 8;  // the first differing byte, found at once
#endif
      break;
    }
  }
  for (; i < common; i++) {
    if (x[i] != y[i]) return Utf16Rank(uint8_t(x[i])) < Utf16Rank(uint8_t(y[i]));
  }
  return a.size() < b.size();
}

// Files a folder must hold before their stats are shared among threads: below it, starting the
// threads costs more than they save.
constexpr size_t kParallelStatFiles = 512;

class FolderWalk {
 public:
  FolderWalk(std::string root, std::vector<std::string> excluded, int threads)
      : root_(std::move(root)), excluded_(excluded.begin(), excluded.end()), threads_(threads) {
    for (const std::string& path : excluded_) {
      const size_t slash = path.rfind('/');
      if (slash != std::string::npos)
        excluded_parents_.insert(slash == 0 ? "/" : path.substr(0, slash));
    }
  }

  // Fills files(), sorted; false with error() set when a folder cannot be read.
  bool Run() {
    if (!Visit(root_, "")) return false;
    // Links to folders last, so a folder reached both ways is listed under its real path.
    for (size_t i = 0; i < linked_.size(); i++) {
      const std::pair<std::string, std::string> link = linked_[i];  // Visit may add more
      if (!Visit(link.first, link.second)) return false;
    }
    std::sort(files_.begin(), files_.end(), [](const ListedFile& a, const ListedFile& b) {
      return Utf16Less(a.relative, b.relative);
    });
    return true;
  }

  std::vector<ListedFile>& files() { return files_; }
  const std::string& error() const { return error_; }

 private:
  static std::string Join(const std::string& folder, const char* name) {
    return folder == "/" ? folder + name : folder + "/" + name;
  }

  // Lists `folder` (shown to the user as `prefix`), then its real sub-folders in the order found.
  bool Visit(const std::string& folder, const std::string& prefix) {
    const int descriptor = open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (descriptor < 0) return Fail(folder, errno);
    struct stat self;
    if (fstat(descriptor, &self) != 0) {
      close(descriptor);
      return Fail(folder, errno);
    }
    // Each real folder once, however many links lead to it.
    if (!visited_.insert({self.st_dev, self.st_ino}).second) {
      close(descriptor);
      return true;
    }
    DIR* listing = fdopendir(descriptor);
    if (!listing) {
      close(descriptor);
      return Fail(folder, errno);
    }
    std::vector<std::string> folders, regular;
    bool ok = true;
    holds_excluded_ = excluded_parents_.count(folder) > 0;
    errno = 0;
    while (const dirent* entry = readdir(listing)) {
      ok = Add(descriptor, folder, prefix, entry->d_name, entry->d_type, folders, regular);
      if (!ok) break;
      errno = 0;
    }
    if (ok && errno != 0) ok = Fail(folder, errno);
    if (ok) ok = StatFiles(descriptor, folder, prefix, regular);
    closedir(listing);
    for (size_t i = 0; ok && i < folders.size(); i++)
      ok = Visit(Join(folder, folders[i].c_str()), prefix + folders[i] + "/");
    return ok;
  }

  // Sorts one directory entry into a sub-folder to visit, a regular file to stat, or nothing;
  // a link is followed (and a dangling one left out) here.
  bool Add(int directory, const std::string& folder, const std::string& prefix, const char* name,
           unsigned char type, std::vector<std::string>& folders,
           std::vector<std::string>& regular) {
    if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) return true;
    if (holds_excluded_ && excluded_.count(Join(folder, name))) return true;
    struct stat info;
    if (type == DT_UNKNOWN) {  // file systems that leave the type out: ask, as Node does
      if (fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) != 0) return true;
      type = S_ISLNK(info.st_mode) ? DT_LNK : S_ISDIR(info.st_mode) ? DT_DIR
             : S_ISREG(info.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if (type == DT_LNK) {
      if (fstatat(directory, name, &info, 0) != 0) return true;
      if (S_ISDIR(info.st_mode)) {
        if (name[0] != '.') linked_.emplace_back(Join(folder, name), prefix + name + "/");
        return true;
      } else if (S_ISREG(info.st_mode)) {
        files_.push_back({prefix + name, double(info.st_size), MtimeMs(info)});
        return true;
      }
    }
    if (type == DT_DIR && name[0] != '.') folders.emplace_back(name);  // not .git, .cache
    if (type == DT_REG) regular.emplace_back(name);
    return true;
  }

  // Stats the regular files `names` of one folder, on several threads when there are many.
  bool StatFiles(int directory, const std::string& folder, const std::string& prefix,
                 const std::vector<std::string>& names) {
    std::vector<struct stat> infos(names.size());
    std::vector<int> codes(names.size(), 0);  // errno of each failed stat
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < names.size(); i = next++) {
        if (fstatat(directory, names[i].c_str(), &infos[i], 0) != 0) codes[i] = errno;
      }
    };
    const size_t helpers = names.size() < kParallelStatFiles ? 0 : size_t(threads_ - 1);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < helpers; t++) {
      try {
        threads.emplace_back(work);
      } catch (const std::system_error&) {  // no more threads to be had: fewer helpers
        break;
      }
    }
    work();
    for (std::thread& thread : threads) thread.join();
    for (size_t i = 0; i < names.size(); i++) {
      if (codes[i] == ENOENT) continue;  // removed since it was listed
      if (codes[i] != 0) return Fail(Join(folder, names[i].c_str()), codes[i]);
      files_.push_back({prefix + names[i], double(infos[i].st_size), MtimeMs(infos[i])});
    }
    return true;
  }

  bool Fail(const std::string& path, int code) {
    error_ = "cannot list " + path + ": " + ErrnoText(code);
    return false;
  }

  std::string root_;
  std::set<std::string> excluded_;
  // The folders the excluded paths are in: only their entries are looked up in excluded_.
  std::set<std::string> excluded_parents_;
  bool holds_excluded_ = false;  // whether the folder being read is one of them
  int threads_;
  std::set<std::pair<dev_t, ino_t>> visited_;
  // Links to folders found so far (path, prefix), visited after every real folder.
  std::vector<std::pair<std::string, std::string>> linked_;
  std::vector<ListedFile> files_;
  std::string error_;
};

class ListWorker : public Napi::AsyncWorker {
 public:
  ListWorker(Napi::Env env, std::string root, std::vector<std::string> excluded, int threads)
      : Napi::AsyncWorker(env, "infogan:listFolder"),
        walk_(std::move(root), std::move(excluded), threads),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    if (!walk_.Run()) SetError(walk_.error());
  }

  // { names: relative paths joined by '\0', sizes: Float64Array, mtimes: Float64Array }
  void OnOK() override {
    Napi::Env env = Env();
    const std::vector<ListedFile>& files = walk_.files();
    std::string names;
    for (size_t i = 0; i < files.size(); i++) {
      if (i > 0) names += '\0';
      names += files[i].relative;
    }
    auto sizes = Napi::Float64Array::New(env, files.size());
    auto mtimes = Napi::Float64Array::New(env, files.size());
    for (size_t i = 0; i < files.size(); i++) {
      sizes[i] = files[i].size;
      mtimes[i] = files[i].mtime_ms;
    }
    auto result = Napi::Object::New(env);
    result.Set("names", Napi::String::New(env, names));
    result.Set("sizes", sizes);
    result.Set("mtimes", mtimes);
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  FolderWalk walk_;
  Napi::Promise::Deferred deferred_;
};

// listFolder(root, excluded, threads) -> Promise<{ names, sizes, mtimes }>
Napi::Value ListFolder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsArray() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "expected (root: string, excluded: string[], threads)");
  auto array = info[1].As<Napi::Array>();
  std::vector<std::string> excluded(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++)
    excluded[i] = array.Get(i).ToString().Utf8Value();
  const int threads = std::clamp(info[2].As<Napi::Number>().Int32Value(), 1, 256);
  auto* worker =
      new ListWorker(env, info[0].As<Napi::String>().Utf8Value(), std::move(excluded), threads);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// ---------------------------------------------------------------------------------------------
// Heads: the first bytes of many files, read by several workers sharing one queue of indices.

struct HeadBatch {
  std::vector<std::string> paths;
  size_t bytes = 0;
  std::vector<uint8_t> heads;     // [paths, bytes]
  std::vector<int32_t> lengths;   // bytes read, or -1 when the file cannot be read
  std::atomic<size_t> next{0};
  int workers_left = 0;  // touched on the main thread only
  Napi::Promise::Deferred deferred;

  explicit HeadBatch(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

int32_t ReadHead(const std::string& path, uint8_t* head, size_t bytes) {
  const int descriptor = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) return -1;
  size_t done = 0;
  while (done < bytes) {
    const ssize_t got = pread(descriptor, head + done, bytes - done, off_t(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      close(descriptor);
      return -1;
    }
    if (got == 0) break;
    done += size_t(got);
  }
  close(descriptor);
  return int32_t(done);
}

// { heads: Uint8Array [paths, bytes], lengths: Int32Array }
Napi::Value HeadsToJs(Napi::Env env, const HeadBatch& batch) {
  auto heads = Napi::Uint8Array::New(env, batch.heads.size());
  std::copy(batch.heads.begin(), batch.heads.end(), heads.Data());
  auto lengths = Napi::Int32Array::New(env, batch.lengths.size());
  std::copy(batch.lengths.begin(), batch.lengths.end(), lengths.Data());
  auto result = Napi::Object::New(env);
  result.Set("heads", heads);
  result.Set("lengths", lengths);
  return result;
}

class HeadWorker : public Napi::AsyncWorker {
 public:
  HeadWorker(Napi::Env env, std::shared_ptr<HeadBatch> batch)
      : Napi::AsyncWorker(env, "infogan:readHeads"), batch_(std::move(batch)) {}

  void Execute() override {
    HeadBatch& batch = *batch_;
    for (size_t i = batch.next++; i < batch.paths.size(); i = batch.next++)
      batch.lengths[i] = ReadHead(batch.paths[i], &batch.heads[i * batch.bytes], batch.bytes);
  }

  void OnOK() override {
    if (--batch_->workers_left == 0) batch_->deferred.Resolve(HeadsToJs(Env(), *batch_));
  }

 private:
  std::shared_ptr<HeadBatch> batch_;
};

// readHeads(paths, bytes, threads) -> Promise<{ heads, lengths }>
Napi::Value ReadHeads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsArray() || !info[1].IsNumber() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "expected (paths: string[], bytes, threads)");
  const int64_t bytes = info[1].As<Napi::Number>().Int64Value();
  if (bytes < 1 || bytes > 4096) throw Napi::RangeError::New(env, "bytes must be 1 to 4096");
  auto batch = std::make_shared<HeadBatch>(env);
  auto array = info[0].As<Napi::Array>();
  batch->paths.resize(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++)
    batch->paths[i] = array.Get(i).ToString().Utf8Value();
  batch->bytes = size_t(bytes);
  batch->heads.assign(batch->paths.size() * batch->bytes, 0);
  batch->lengths.assign(batch->paths.size(), -1);
  Napi::Promise promise = batch->deferred.Promise();
  const int threads = std::clamp(info[2].As<Napi::Number>().Int32Value(), 1, 256);
  const int workers = std::min<int>(threads, int(batch->paths.size()));
  if (workers == 0) {
    batch->deferred.Resolve(HeadsToJs(env, *batch));
    return promise;
  }
  batch->workers_left = workers;
  for (int w = 0; w < workers; w++) (new HeadWorker(env, batch))->Queue();
  return promise;
}

// ---------------------------------------------------------------------------------------------
// Mapping: a whole file as an ArrayBuffer, without reading it into fresh memory.

struct Mapping {
  void* address;
  size_t length;
};

// mapFile(path) -> ArrayBuffer over the file's bytes, private to this process: writes to it are
// copied on write and never reach the file. Unmapped when the buffer is collected.
//
// The pages are the page cache's own, mapped all at once (one call instead of a fault per few
// pages), then made writable, which copies a page only when it is written.
Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString())
    throw Napi::TypeError::New(env, "expected (path: string)");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const int descriptor = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) throw Napi::Error::New(env, "cannot open " + path + ": " + ErrnoText(errno));
  struct stat file;
  if (fstat(descriptor, &file) != 0) {
    const int code = errno;
    close(descriptor);
    throw Napi::Error::New(env, "cannot read " + path + ": " + ErrnoText(code));
  }
  if (file.st_size == 0) {
    close(descriptor);
    return Napi::ArrayBuffer::New(env, 0);
  }
  const size_t length = size_t(file.st_size);
  // Not MAP_POPULATE: the checksum's threads fault the pages in, not this (JavaScript) thread.
  void* address = mmap(nullptr, length, PROT_READ, MAP_PRIVATE, descriptor, 0);
  int code = errno;
  close(descriptor);  // the mapping keeps the file
  if (address != MAP_FAILED && mprotect(address, length, PROT_READ | PROT_WRITE) != 0) {
    code = errno;
    munmap(address, length);
    address = MAP_FAILED;
  }
  if (address == MAP_FAILED)
    throw Napi::Error::New(env, "cannot map " + path + ": " + ErrnoText(code));
  auto* mapping = new Mapping{address, length};
  return Napi::ArrayBuffer::New(
      env, address, length,
      [](Napi::Env, void*, Mapping* done) {
        munmap(done->address, done->length);
        delete done;
      },
      mapping);
}

// ---------------------------------------------------------------------------------------------
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of each block of a buffer. The SSE 4.2
// and ARMv8 instructions take 8 bytes a cycle when three blocks are summed side by side (one
// alone waits on the instruction's latency); other CPUs use a table, a byte at a time.

constexpr uint32_t kCastagnoli = 0x82F63B78u;

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; byte++) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (crc & 1 ? kCastagnoli : 0);
    table[byte] = crc;
  }
  return table;
}

uint32_t SoftwareCrc(const uint8_t* data, size_t length) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  uint32_t crc = ~0u;
  for (size_t i = 0; i < length; i++) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void SoftwareBlockCrcs(const uint8_t* data, size_t length, size_t block, uint32_t* out) {
  for (size_t start = 0, i = 0; start < length; start += block, i++)
    out[i] = SoftwareCrc(data + start, std::min(block, length - start));
}

inline uint64_t Load64(const uint8_t* at) {
  uint64_t value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

#if defined(__x86_64__)
#define INFOGAN_CRC_TARGET __attribute__((target("sse4.2")))
INFOGAN_CRC_TARGET inline uint32_t Step64(uint32_t crc, uint64_t value) {
  return uint32_t(_mm_crc32_u64(crc, value));
}
INFOGAN_CRC_TARGET inline uint32_t Step8(uint32_t crc, uint8_t value) {
  return _mm_crc32_u8(crc, value);
}
bool HasCrcInstructions() { return __builtin_cpu_supports("sse4.2"); }
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#define INFOGAN_CRC_TARGET
inline uint32_t Step64(uint32_t crc, uint64_t value) { return __crc32cd(crc, value); }
inline uint32_t Step8(uint32_t crc, uint8_t value) { return __crc32cb(crc, value); }
bool HasCrcInstructions() { return true; }
#else
#define INFOGAN_NO_CRC_INSTRUCTIONS
bool HasCrcInstructions() { return false; }
void HardwareBlockCrcs(const uint8_t*, size_t, size_t, uint32_t*) {}
#endif

#if !defined(INFOGAN_NO_CRC_INSTRUCTIONS)
INFOGAN_CRC_TARGET uint32_t HardwareCrc(const uint8_t* data, size_t length) {
  uint32_t crc = ~0u;
  size_t i = 0;
  for (; i + 8 <= length; i += 8) crc = Step64(crc, Load64(data + i));
  for (; i < length; i++) crc = Step8(crc, data[i]);
  return ~crc;
}

// `block` is a multiple of 8, so three whole blocks need no byte-wise tail.
INFOGAN_CRC_TARGET void HardwareBlockCrcs(const uint8_t* data, size_t length, size_t block,
                                          uint32_t* out) {
  size_t i = 0;
  for (; (i + 3) * block <= length; i += 3) {
    const uint8_t* a = data + i * block;
    const uint8_t* b = a + block;
    const uint8_t* c = b + block;
    uint32_t x = ~0u, y = ~0u, z = ~0u;
    for (size_t k = 0; k < block; k += 8) {
      x = Step64(x, Load64(a + k));
      y = Step64(y, Load64(b + k));
      z = Step64(z, Load64(c + k));
    }
    out[i] = ~x;
    out[i + 1] = ~y;
    out[i + 2] = ~z;
  }
  for (size_t start = i * block; start < length; start += block, i++)
    out[i] = HardwareCrc(data + start, std::min(block, length - start));
}
#endif

// Splits the blocks into `threads` runs of whole blocks, one per thread (this one included).
void ParallelBlockCrcs(const uint8_t* data, size_t length, size_t block, uint32_t* out,
                       size_t threads, void (*run)(const uint8_t*, size_t, size_t, uint32_t*)) {
  const size_t count = (length + block - 1) / block;
  threads = std::max<size_t>(1, std::min(threads, count / 8));
  const size_t per = (count + threads - 1) / threads;
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; t++) {
    const size_t first = t * per;
    if (first >= count) break;
    const size_t bytes = std::min(per * block, length - first * block);
    helpers.emplace_back(run, data + first * block, bytes, block, out + first);
  }
  run(data, std::min(per * block, length), block, out);
  for (auto& helper : helpers) helper.join();
}

// crc32cBlocks(bytes: Uint8Array, block, threads = 1) -> Uint32Array: the CRC-32C of each `block`
// bytes (the last block may be shorter), the blocks shared out over `threads` threads.
Napi::Value Crc32cBlocks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "expected (bytes: Uint8Array, block: number)");
  const int64_t block = info[1].As<Napi::Number>().Int64Value();
  if (block < 8 || block % 8 != 0)
    throw Napi::RangeError::New(env, "block must be a positive multiple of 8");
  auto bytes = info[0].As<Napi::Uint8Array>();
  const size_t length = bytes.ByteLength();
  const size_t count = (length + size_t(block) - 1) / size_t(block);
  auto crcs = Napi::Uint32Array::New(env, count);
  int64_t threads = 1;
  if (info.Length() >= 3 && info[2].IsNumber()) threads = info[2].As<Napi::Number>().Int64Value();
  if (threads < 1 || threads > 256)
    throw Napi::RangeError::New(env, "threads must be between 1 and 256");
  static const bool hardware = HasCrcInstructions();
  ParallelBlockCrcs(bytes.Data(), length, size_t(block), crcs.Data(), size_t(threads),
                    hardware ? HardwareBlockCrcs : SoftwareBlockCrcs);
  return crcs;
}


// The pixels of a cache are summed on the thread pool while the JavaScript thread reads the
// cache's header and the folder is listed: a cache hit waits for the slower of the three.
class CrcWorker : public Napi::AsyncWorker {
 public:
  CrcWorker(Napi::Env env, Napi::Uint8Array bytes, size_t block, size_t threads)
      : Napi::AsyncWorker(env, "infogan:crc32cBlocks"),
        bytes_(Napi::Persistent(bytes)),  // keeps the buffer alive until the sums are done
        data_(bytes.Data()),
        length_(bytes.ByteLength()),
        block_(block),
        threads_(threads),
        crcs_((length_ + block - 1) / block),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    static const bool hardware = HasCrcInstructions();
    ParallelBlockCrcs(data_, length_, block_, crcs_.data(), threads_,
                      hardware ? HardwareBlockCrcs : SoftwareBlockCrcs);
  }

  void OnOK() override {
    auto crcs = Napi::Uint32Array::New(Env(), crcs_.size());
    std::copy(crcs_.begin(), crcs_.end(), crcs.Data());
    deferred_.Resolve(crcs);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Reference<Napi::Uint8Array> bytes_;
  const uint8_t* data_;
  size_t length_;
  size_t block_;
  size_t threads_;
  std::vector<uint32_t> crcs_;
  Napi::Promise::Deferred deferred_;
};

// crc32cBlocksAsync(bytes, block, threads) -> Promise<Uint32Array>: crc32cBlocks off the
// JavaScript thread. `bytes` must not change until the promise settles.
Napi::Value Crc32cBlocksAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() ||
      !info[2].IsNumber() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "expected (bytes: Uint8Array, block: number, threads)");
  const int64_t block = info[1].As<Napi::Number>().Int64Value();
  if (block < 8 || block % 8 != 0)
    throw Napi::RangeError::New(env, "block must be a positive multiple of 8");
  const int64_t threads = info[2].As<Napi::Number>().Int64Value();
  if (threads < 1 || threads > 256)
    throw Napi::RangeError::New(env, "threads must be between 1 and 256");
  auto* worker = new CrcWorker(env, info[0].As<Napi::Uint8Array>(), size_t(block),
                               size_t(threads));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void RegisterFolderIo(Napi::Env env, Napi::Object exports) {
  exports.Set("listFolder", Napi::Function::New(env, ListFolder));
  exports.Set("readHeads", Napi::Function::New(env, ReadHeads));
  exports.Set("mapFile", Napi::Function::New(env, MapFile));
  exports.Set("crc32cBlocks", Napi::Function::New(env, Crc32cBlocks));
  exports.Set("crc32cBlocksAsync", Napi::Function::New(env, Crc32cBlocksAsync));
}

}  // namespace infogan
